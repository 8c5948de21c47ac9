package chat

// RealEngine is realEngine for the package's external tests (the library
// benchmark, which needs the library package, which imports chat).
var RealEngine = realEngine

// BenchQuestions are benchQuestions for the external benchmarks.
var BenchQuestions = benchQuestions
