package rules

import "github.com/cohortd/cohortd/segments"

// featuresEnv is the env a rule runs on: the profile's features by pointer. expr reads fields
// through reflect, and reading a field behind a pointer copies it into an allocation, so a
// rule costs one small allocation per field it reads (BenchmarkMatch). Passing the struct by
// value would copy all of it on every run instead, and avoiding both needs unsafe tricks on
// interface layout that are not worth their risk here.
func featuresEnv(f *segments.Features) any { return f }
