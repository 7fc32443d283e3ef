// Package nprand reproduces numpy's legacy random number generator,
// numpy.random.RandomState, bit for bit, so that numbers drawn after
// np.random.seed(N) can be drawn again in Go.
//
// # Generator
//
// RandomState is the 32-bit Mersenne Twister MT19937 (Matsumoto and
// Nishimura, 1998). Seeding with an integer N, as np.random.seed(N) and
// np.random.RandomState(N) do for 0 ≤ N < 2³², fills the state with the
// reference init_genrand(N) recurrence, not init_by_array. Python's own
// random.seed(N) uses init_by_array, so it produces different numbers.
//
// # Doubles
//
// RandomSample returns a double in [0, 1) built from two 32-bit outputs a
// and b as ((a>>5)·2²⁶ + (b>>6)) / 2⁵³, the same 53-bit construction numpy
// uses for random_sample. Uniform(low, high) is low + (high−low)·sample.
// Arrays are filled in C (row-major) order, one sample per element.
//
// The tests compare against numbers printed by numpy 1.24.
package nprand
