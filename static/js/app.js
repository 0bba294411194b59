// podboard page behaviour (htmx/SSE glue); loaded after htmx.min.js and sse.js.
