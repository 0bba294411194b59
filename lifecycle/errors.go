package lifecycle

import "errors"

// The kinds of failure an operator can meet. Errors returned by this package
// and by engines wrap one of these, so callers map them with errors.Is and
// still show the specific message.
var (
	// ErrNotFound: the container does not exist (in the dashboard or in Podman).
	ErrNotFound = errors.New("no such container")
	// ErrNoHost: the dashboard has no such Podman host, or a request that
	// must name one (a dashboard of several) named none.
	ErrNoHost = errors.New("no such host")
	// ErrBusy: another operation on the container is still running.
	ErrBusy = errors.New("operation already running")
	// ErrInvalid: the request makes no sense (bad name, unknown operation).
	ErrInvalid = errors.New("invalid request")
	// ErrState: the operation does not fit the container's current state
	// (stop a stopped container).
	ErrState = errors.New("operation does not fit the state")
	// ErrUnreachable: the engine's API did not answer.
	ErrUnreachable = errors.New("podman unreachable")
	// ErrTimeout: the engine did not answer within the time a caller allows.
	ErrTimeout = errors.New("podman did not answer in time")
	// ErrLost: the connection to the engine broke during a call, after the
	// request was sent: the call may or may not have done its work.
	ErrLost = errors.New("connection to podman lost")
)
