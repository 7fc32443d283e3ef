//go:build !amd64 || noasm

package kernel

// availablePaths returns only the pure-Go path: this build has no
// assembly, because the target is not amd64 or the noasm tag is set.
func availablePaths() []*path { return []*path{pathGo} }
