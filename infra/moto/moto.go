// Package moto runs the local AWS emulator, moto (what `moto_server` serves), and provisions in it what
// the SAM template declares: the tables, the master secret in SSM, the SES sender.
package moto

import (
	"bufio"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Server is a moto_server process on loopback.
type Server struct {
	URL string
	cmd *exec.Cmd
}

//go:embed serve.py
var serveScript string

// Python is an interpreter that has moto: $MOTO_PYTHON, the project's .venv that
// `make moto` installs into, or python3 from PATH (where `moto_server` lives).
func Python(root string) (string, error) {
	candidates := []string{os.Getenv("MOTO_PYTHON"), filepath.Join(root, ".venv", "bin", "python"), "python3"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if err := exec.Command(c, "-c", "import moto.server").Run(); err == nil {
			return c, nil
		}
	}
	return "", errors.New("no python with moto[server]: run `make moto` (pip install 'moto[server]') or set MOTO_PYTHON")
}

// Start runs moto on a loopback port of its own choosing, one request at a time
// (see serve.py), and waits until it answers.
func Start(ctx context.Context, root string) (*Server, error) {
	py, err := Python(root)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(py, "-c", serveScript, "127.0.0.1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	s := &Server{cmd: cmd}
	port := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		port <- strings.TrimSpace(line)
		io.Copy(io.Discard, out)
	}()
	select {
	case p := <-port:
		if _, err := strconv.Atoi(p); err != nil {
			s.Close()
			return nil, fmt.Errorf("moto did not report its port (%q)", p)
		}
		s.URL = "http://127.0.0.1:" + p
	case <-time.After(60 * time.Second):
		s.Close()
		return nil, errors.New("moto did not start within 60 s")
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.Close()
			return nil, fmt.Errorf("moto did not answer on %s: %w", s.URL, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Close stops the process.
func (s *Server) Close() error {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	return nil
}

// Config is an AWS configuration whose clients all talk to the emulator at url.
func Config(ctx context.Context, url string) (aws.Config, error) {
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = "us-east-1"
	}
	return awsconfig.LoadDefaultConfig(ctx,
		awsconfig.WithRegion(region),
		awsconfig.WithBaseEndpoint(url),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
	)
}

// ConfigFor is Config for the emulator at url, or, with url empty, the default AWS
// configuration: what the operator commands use (MOTO_URL for the local stack).
func ConfigFor(ctx context.Context, url string) (aws.Config, error) {
	if url != "" {
		return Config(ctx, url)
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	return cfg, nil
}

// RandomHex is n random bytes in hex, for names and secrets.
func RandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Root is the repository root: the nearest directory above the working one with go.mod.
func Root() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
