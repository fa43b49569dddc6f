package mime

import (
	"errors"
	"hash"
	"io"
)

// source reads the raw message: at most max bytes, hashed and counted. It
// remembers the first error of the underlying reader, so Parse can tell a
// failing reader from bad content.
type source struct {
	r         io.Reader
	max       int64
	n         int64
	h         hash.Hash
	err       error
	truncated bool
	done      bool
}

// Read implements io.Reader.
func (s *source) Read(b []byte) (int, error) {
	if s.done {
		return 0, io.EOF
	}
	if s.n >= s.max {
		s.checkMore()
		return 0, io.EOF
	}
	if int64(len(b)) > s.max-s.n {
		b = b[:s.max-s.n]
	}
	n, err := s.r.Read(b)
	s.n += int64(n)
	s.h.Write(b[:n])
	if err != nil {
		s.done = true
		if !errors.Is(err, io.EOF) {
			s.err = err
		}
		return n, io.EOF
	}
	return n, nil
}

// checkMore looks whether the message goes on beyond the limit.
func (s *source) checkMore() {
	s.done = true
	var one [1]byte
	for range 100 {
		n, err := s.r.Read(one[:])
		if n > 0 {
			s.truncated = true
			return
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.err = err
			}
			return
		}
	}
}
