// Command eddy-engine renders manifests for eddy's controllers: a long-lived child process that
// answers length-prefixed JSON requests on stdin with responses on stdout, one at a time (the
// kustomize API keeps process-global state such as the OpenAPI schema, so requests never run
// concurrently in one process; the TypeScript pool runs several processes instead).
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log"
	"os"
)

// handler runs one op; the returned value becomes the response's result.
type handler func(params json.RawMessage) (any, error)

func main() {
	memLimit := flag.Int64("memory-limit", 0, "hard memory cap in bytes; the process exits with code 86 above it (0: none)")
	scratch := flag.String("scratch-dir", "", "directory for per-build scratch files (default: the system temp dir)")
	flag.Parse()
	log.SetOutput(os.Stderr)
	log.SetFlags(0)
	log.SetPrefix("eddy-engine: ")
	if *memLimit > 0 {
		startMemoryWatchdog(*memLimit)
	}
	b := &builder{scratchDir: *scratch}
	ops := map[string]handler{
		"ping":            ping,
		"kustomize.build": b.kustomizeBuild,
		// "helm.template" joins here later.
	}
	if err := serve(os.Stdin, os.Stdout, ops); err != nil {
		log.Printf("stopping: %v", err)
		os.Exit(1)
	}
}

func serve(in io.Reader, out io.Writer, ops map[string]handler) error {
	r := bufio.NewReaderSize(in, 64<<10)
	w := bufio.NewWriterSize(out, 64<<10)
	for {
		frame, err := readFrame(r)
		if errors.Is(err, io.EOF) {
			return nil // the parent closed stdin: a clean shutdown
		}
		if err != nil {
			return err
		}
		if err := writeFrame(w, handle(frame, ops)); err != nil {
			return err
		}
	}
}

func handle(frame []byte, ops map[string]handler) response {
	var req request
	if err := json.Unmarshal(frame, &req); err != nil {
		return failure(0, errorf("BadRequest", "malformed request: %v", err))
	}
	op, found := ops[req.Op]
	if !found {
		return failure(req.ID, errorf("BadRequest", "unknown op %q", req.Op))
	}
	result, err := op(req.Params)
	if err != nil {
		return failure(req.ID, err)
	}
	return response{ID: req.ID, OK: true, Result: result}
}

func failure(id uint64, err error) response {
	var oe *opError
	if errors.As(err, &oe) {
		return response{ID: id, Error: &wireError{Reason: oe.reason, Message: oe.msg}}
	}
	return response{ID: id, Error: &wireError{Reason: "BuildFailed", Message: err.Error()}}
}

func ping(json.RawMessage) (any, error) {
	return map[string]any{"pid": os.Getpid()}, nil
}
