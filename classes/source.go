package classes

import (
	"context"

	"github.com/twelve-course/twelve/store"
)

// FromStore is the Source of a web process: st's snapshots, and a
// listener on its own connection to st's database.
func FromStore(st *store.Store) Source { return storeSource{st} }

type storeSource struct{ *store.Store }

func (s storeSource) Listen(ctx context.Context) (Listener, error) {
	l, err := s.ListenClasses(ctx)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return l, nil
}
