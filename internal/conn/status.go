package conn

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// StatusInfo is etcd's answer to Maintenance.Status.
type StatusInfo struct {
	Version   string
	ClusterID uint64
	MemberID  uint64
	Leader    uint64
	RaftTerm  uint64
	RaftIndex uint64
	DBSize    int64
	Errors    []string
	Latency   time.Duration
}

// StatusError is a gRPC error status from the server.
type StatusError struct {
	Code    int
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("etcd answered gRPC status %d: %s", e.Code, e.Message)
}

// Status makes one etcd Maintenance.Status call to endpoint, speaking gRPC's
// wire format directly over net/http's HTTP/2. It exists so that etcd-ctx
// need not link the gRPC client (see internal/v3client): unary calls with
// tiny messages need neither. With auth enabled etcd wants an identity for
// Status: a client certificate's CN, else the token, else a token from
// Auth.Authenticate with the user and password (sent in the request body,
// never in a URL or header).
func (p Prepared) Status(ctx context.Context, endpoint string) (*StatusInfo, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{TLSClientConfig: p.TLS, ForceAttemptHTTP2: true}
	tr.Protocols = new(http.Protocols)
	if u.Scheme == "https" {
		tr.Protocols.SetHTTP2(true)
	} else {
		tr.Protocols.SetUnencryptedHTTP2(true)
		u.Scheme = "http"
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	token := p.Token
	if token == "" && p.Username != "" {
		var req []byte
		req = protowire.AppendTag(req, 1, protowire.BytesType)
		req = protowire.AppendString(req, p.Username)
		req = protowire.AppendTag(req, 2, protowire.BytesType)
		req = protowire.AppendString(req, p.Password)
		body, err := unary(ctx, client, *u, "/etcdserverpb.Auth/Authenticate", req, "")
		var se *StatusError
		switch {
		case errors.As(err, &se) && strings.Contains(se.Message, "authentication is not enabled"):
			// Status needs no identity then.
		case err != nil:
			return nil, err
		default:
			if token, err = parseToken(body); err != nil {
				return nil, err
			}
		}
	}
	start := time.Now()
	body, err := unary(ctx, client, *u, "/etcdserverpb.Maintenance/Status", nil, token)
	if err != nil {
		return nil, err
	}
	info, err := parseStatus(body)
	if err != nil {
		return nil, err
	}
	info.Latency = time.Since(start)
	return info, nil
}

// unary makes one gRPC call without compression and returns the answer's
// message; token, when set, goes in etcd's "token" metadata.
func unary(ctx context.Context, client *http.Client, u url.URL, method string, msg []byte, token string) ([]byte, error) {
	u.Path = method
	frame := make([]byte, 5, 5+len(msg))
	binary.BigEndian.PutUint32(frame[1:5], uint32(len(msg)))
	frame = append(frame, msg...)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(frame))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("TE", "trailers")
	if token != "" {
		req.Header.Set("token", token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if code := grpcStatus(resp); code != 0 {
		return nil, &StatusError{Code: code, Message: grpcMessage(resp)}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("etcd answered HTTP %s", resp.Status)
	}
	if len(body) < 5 || body[0] != 0 || int(binary.BigEndian.Uint32(body[1:5])) != len(body)-5 {
		return nil, errors.New("malformed gRPC answer")
	}
	return body[5:], nil
}

// parseToken decodes etcdserverpb.AuthenticateResponse: 2 token.
func parseToken(b []byte) (string, error) {
	var token string
	err := fields(b, func(num protowire.Number, typ protowire.Type, _ uint64, data []byte) error {
		if num == 2 && typ == protowire.BytesType {
			token = string(data)
		}
		return nil
	})
	if err == nil && token == "" {
		err = errors.New("etcd answered Authenticate without a token")
	}
	return token, err
}

func grpcStatus(resp *http.Response) int {
	v := resp.Trailer.Get("Grpc-Status")
	if v == "" {
		v = resp.Header.Get("Grpc-Status") // trailers-only answers
	}
	code, _ := strconv.Atoi(v)
	return code
}

func grpcMessage(resp *http.Response) string {
	m := resp.Trailer.Get("Grpc-Message")
	if m == "" {
		m = resp.Header.Get("Grpc-Message")
	}
	if s, err := url.PathUnescape(m); err == nil {
		return s
	}
	return m
}

// parseStatus decodes etcdserverpb.StatusResponse: header (1: cluster_id,
// 2: member_id), 2 version, 3 dbSize, 4 leader, 5 raftIndex, 6 raftTerm,
// 8 errors. Unknown fields are skipped, as protobuf requires.
func parseStatus(b []byte) (*StatusInfo, error) {
	info := &StatusInfo{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v uint64, data []byte) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			return fields(data, func(n protowire.Number, t protowire.Type, v uint64, _ []byte) error {
				switch n {
				case 1:
					info.ClusterID = v
				case 2:
					info.MemberID = v
				}
				return nil
			})
		case num == 2 && typ == protowire.BytesType:
			info.Version = string(data)
		case num == 3:
			info.DBSize = int64(v)
		case num == 4:
			info.Leader = v
		case num == 5:
			info.RaftIndex = v
		case num == 6:
			info.RaftTerm = v
		case num == 8 && typ == protowire.BytesType:
			info.Errors = append(info.Errors, string(data))
		}
		return nil
	})
	return info, err
}

// fields walks a protobuf message, giving varints as v and bytes as data.
func fields(b []byte, fn func(protowire.Number, protowire.Type, uint64, []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var (
			v    uint64
			data []byte
		)
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			data, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, typ, v, data); err != nil {
			return err
		}
	}
	return nil
}
