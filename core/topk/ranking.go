package topk

// Ranking hands out a copy of a tracker's items one at a time in Top's
// order (highest Count first, ties by Key ascending), ordering them only as
// far as they are read: O(m) to start and O(log m) per item handed out,
// where Top(k) orders k items at once. For a reader that stops when the
// counts fall below a threshold it does not know in advance, such as the
// threshold algorithm over several trackers.
type Ranking struct {
	heap []Item // root: the item Top would list first
}

// Ranking returns the tracker's items as a Ranking. It is a copy: later
// changes to the tracker do not show in it.
func (t *Tracker) Ranking() Ranking {
	r := Ranking{heap: t.Items()}
	for i := len(r.heap)/2 - 1; i >= 0; i-- {
		r.down(i)
	}
	return r
}

// Len returns the number of items not handed out yet.
func (r *Ranking) Len() int { return len(r.heap) }

// Peek returns the next item without handing it out, and false when every
// item was handed out.
func (r *Ranking) Peek() (Item, bool) {
	if len(r.heap) == 0 {
		return Item{}, false
	}
	return r.heap[0], true
}

// Next hands out the next item, and false when every item was handed out.
func (r *Ranking) Next() (Item, bool) {
	it, ok := r.Peek()
	if !ok {
		return it, false
	}
	last := len(r.heap) - 1
	r.heap[0] = r.heap[last]
	r.heap[last] = Item{} // keep no key alive
	r.heap = r.heap[:last]
	r.down(0)
	return it, true
}

func (r *Ranking) down(i int) {
	h := r.heap
	for {
		first := i
		if l := 2*i + 1; l < len(h) && compareItems(h[l], h[first]) < 0 {
			first = l
		}
		if c := 2*i + 2; c < len(h) && compareItems(h[c], h[first]) < 0 {
			first = c
		}
		if first == i {
			return
		}
		h[i], h[first] = h[first], h[i]
		i = first
	}
}
