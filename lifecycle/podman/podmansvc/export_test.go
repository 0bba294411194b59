package podmansvc

// What the external tests need to see of a Service's internals.

// RunRoot is the runroot the service was given.
func (s *Service) RunRoot() string { return s.runRoot }

// MountPointsUnder lists the mount points below dirs.
var MountPointsUnder = mountPointsUnder
