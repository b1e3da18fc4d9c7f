package framing

import (
	"context"

	"github.com/twelve-course/twelve/store"
)

// FromStore is the Source of a web process: the origins of st's LTI
// platforms, and a listener on LTIChannel on its own connection.
func FromStore(st *store.Store) Source { return storeSource{st} }

type storeSource struct{ st *store.Store }

func (s storeSource) FrameOrigins(ctx context.Context) ([]string, error) {
	ps, err := s.st.LTIPlatforms(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.Origins...)
	}
	return out, nil
}

func (s storeSource) Listen(ctx context.Context) (Listener, error) {
	l, err := s.st.ListenLTI(ctx)
	if err != nil {
		return nil, err
	}
	return storeListener{l}, nil
}

type storeListener struct{ l *store.LTIListener }

func (s storeListener) Next(ctx context.Context) error {
	_, err := s.l.Next(ctx)
	return err
}

func (s storeListener) Close(ctx context.Context) error { return s.l.Close(ctx) }
