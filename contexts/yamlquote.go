package contexts

import (
	"crypto/rand"
	"encoding/hex"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// faithfulNode encodes v (structs, pointers, slices and scalars, as Config
// is) into a yaml.Node whose strings read back exactly. yaml.v3 writes a
// string holding a line break as a literal block, which drops a leading line
// break ("\n" reads back as "") or is not even valid YAML ("\t\n"), as
// FuzzParseConfig found. Such strings are swapped for placeholders before
// encoding and put back double-quoted, which YAML reads back as written.
func faithfulNode(v any) (*yaml.Node, error) {
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	s := &swapper{prefix: "\x00etcd-ctx:" + hex.EncodeToString(nonce) + ":", originals: map[string]string{}}
	var doc yaml.Node
	if err := doc.Encode(s.swap(reflect.ValueOf(v)).Interface()); err != nil {
		return nil, err
	}
	s.restore(&doc)
	return &doc, nil
}

type swapper struct {
	prefix    string // with a random part: no value in a file can equal a placeholder
	originals map[string]string
}

// swap returns a copy of v with each string that holds a line break replaced.
func (s *swapper) swap(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Elem().Type())
		c.Elem().Set(s.swap(v.Elem()))
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		for i := range v.NumField() {
			if c.Field(i).CanSet() {
				c.Field(i).Set(s.swap(v.Field(i)))
			}
		}
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(s.swap(v.Index(i)))
		}
		return c
	case reflect.String:
		if !strings.ContainsAny(v.String(), "\r\n") {
			return v
		}
		key := s.prefix + strconv.Itoa(len(s.originals))
		s.originals[key] = v.String()
		c := reflect.New(v.Type()).Elem()
		c.SetString(key)
		return c
	}
	return v
}

func (s *swapper) restore(n *yaml.Node) {
	if orig, ok := s.originals[n.Value]; ok && n.Kind == yaml.ScalarNode {
		n.Value, n.Style, n.Tag = orig, yaml.DoubleQuotedStyle, "!!str"
	}
	for _, child := range n.Content {
		s.restore(child)
	}
}
