package main

// The wire protocol: every message is a 4-byte big-endian length followed by that many bytes of
// JSON. Requests carry an id, an op and its params; responses echo the id with either a result
// or an error whose reason the TypeScript client maps to a typed EngineError.

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
)

// maxFrame bounds one message so a corrupt length prefix cannot make us allocate gigabytes.
const maxFrame = 256 << 20

type request struct {
	ID     uint64          `json:"id"`
	Op     string          `json:"op"`
	Params json.RawMessage `json:"params"`
}

type response struct {
	ID     uint64     `json:"id"`
	OK     bool       `json:"ok"`
	Result any        `json:"result,omitempty"`
	Error  *wireError `json:"error,omitempty"`
}

type wireError struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// opError is an error that knows its protocol reason.
type opError struct {
	reason string
	msg    string
}

func (e *opError) Error() string { return e.msg }

func errorf(reason, format string, args ...any) error {
	return &opError{reason: reason, msg: fmt.Sprintf(format, args...)}
}

func readFrame(r *bufio.Reader) ([]byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(head[:])
	if n > maxFrame {
		return nil, fmt.Errorf("frame of %d bytes exceeds the limit of %d", n, maxFrame)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("truncated frame: %w", err)
	}
	return buf, nil
}

func writeFrame(w *bufio.Writer, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var head [4]byte
	binary.BigEndian.PutUint32(head[:], uint32(len(body)))
	if _, err := w.Write(head[:]); err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	return w.Flush()
}
