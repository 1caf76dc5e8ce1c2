package runtime

// SlabsMade is how many slabs r's pool has made (see slabPool).
func SlabsMade[E comparable, D any](r *Recorder[E, D]) int { return len(r.slabs.made.Load().slabs) }

// PoisonReleasedSlabs makes r overwrite each slab as it becomes idle, so
// that a value read after its release is corrupt.
func PoisonReleasedSlabs[E comparable, D any](r *Recorder[E, D]) { r.slabs.poison.Store(true) }

// SlabSize is the size of the slabs values are cut from.
const SlabSize = slabSize

// MaxPooledSlabs is the pool's bound.
const MaxPooledSlabs = maxPooledSlabs
