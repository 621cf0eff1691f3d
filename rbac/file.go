package rbac

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
)

// The file format (YAML, or the same fields as JSON). Every field is checked:
// an unknown one is an error naming its line, so a typo never silently means
// "no permission".
//
//	auth: enabled                  # enabled | disabled; absent: left as it is
//	roles:
//	  - name: app
//	    permissions:
//	      - {type: readwrite, prefix: /app/}
//	      - {type: read, key: /config/app}
//	      - {type: read, key: /logs/a, range-end: /logs/m}
//	      - {type: write, from-key: /z/}
//	      - {type: read, prefix: ""}        # every key
//	users:
//	  - name: app
//	    roles: [app]
//	    certificate: {days: 90}           # issued from the PKI's client CA
//	  - name: alice
//	    roles: [app]
//	    password: true
//	    password-env: ALICE_PASSWORD
type fileModel struct {
	Auth     string     `yaml:"auth,omitempty" json:"auth,omitempty"`
	Roles    []fileRole `yaml:"roles,omitempty" json:"roles,omitempty"`
	Users    []fileUser `yaml:"users,omitempty" json:"users,omitempty"`
	authLine int
}

type fileRole struct {
	Name        string     `yaml:"name" json:"name"`
	Permissions []filePerm `yaml:"permissions,omitempty" json:"permissions,omitempty"`
	line        int
}

type fileUser struct {
	Name        string    `yaml:"name" json:"name"`
	Roles       []string  `yaml:"roles,flow,omitempty" json:"roles,omitempty"`
	Password    *bool     `yaml:"password,omitempty" json:"password,omitempty"`
	PasswordEnv string    `yaml:"password-env,omitempty" json:"password-env,omitempty"`
	Certificate *fileCert `yaml:"certificate,flow,omitempty" json:"certificate,omitempty"`
	line        int
}

type fileCert struct {
	File    string `yaml:"file,omitempty" json:"file,omitempty"`
	Days    int    `yaml:"days,omitempty" json:"days,omitempty"`
	Expires string `yaml:"expires,omitempty" json:"expires,omitempty"`
	line    int
}

// filePerm is a permission as written: a type and exactly one of key (with
// an optional range-end), prefix or from-key.
type filePerm struct {
	Type     string  `yaml:"type" json:"type"`
	Key      *string `yaml:"key,omitempty" json:"key,omitempty"`
	RangeEnd *string `yaml:"range-end,omitempty" json:"range-end,omitempty"`
	Prefix   *string `yaml:"prefix,omitempty" json:"prefix,omitempty"`
	FromKey  *string `yaml:"from-key,omitempty" json:"from-key,omitempty"`
	line     int
}

// FileError is a file that does not parse or validate; Line is 0 when unknown.
type FileError struct {
	File string
	Line int
	Msg  string
}

func (e *FileError) Error() string {
	where := e.File
	if where == "" {
		where = "file"
	}
	if e.Line > 0 {
		where += fmt.Sprintf(":%d", e.Line)
	}
	return where + ": " + e.Msg
}

// Hint says where the format is described.
func (e *FileError) Hint() string {
	return "the format is in the README (etcd-certwiz rbac); 'etcd-certwiz rbac export' prints a valid file"
}

func lineErr(line int, format string, args ...any) *FileError {
	return &FileError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

// checkFields refuses keys of mapping n outside allowed (yaml.v3 checks
// known fields only at the top decoder, not inside custom unmarshalers).
func checkFields(n *yaml.Node, what string, allowed ...string) error {
	if n.Kind != yaml.MappingNode {
		return lineErr(n.Line, "%s must be a mapping", what)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(allowed, k.Value) {
			return lineErr(k.Line, "unknown field %q in %s (known: %s)", k.Value, what, strings.Join(allowed, ", "))
		}
	}
	return nil
}

func (m *fileModel) UnmarshalYAML(n *yaml.Node) error {
	if err := checkFields(n, "the file", "auth", "roles", "users"); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "auth" {
			m.authLine = n.Content[i].Line
		}
	}
	type plain fileModel
	return n.Decode((*plain)(m))
}

func (r *fileRole) UnmarshalYAML(n *yaml.Node) error {
	if err := checkFields(n, "a role", "name", "permissions"); err != nil {
		return err
	}
	type plain fileRole
	r.line = n.Line
	return n.Decode((*plain)(r))
}

func (u *fileUser) UnmarshalYAML(n *yaml.Node) error {
	if err := checkFields(n, "a user", "name", "roles", "password", "password-env", "certificate"); err != nil {
		return err
	}
	type plain fileUser
	u.line = n.Line
	return n.Decode((*plain)(u))
}

func (c *fileCert) UnmarshalYAML(n *yaml.Node) error {
	if err := checkFields(n, "a certificate", "file", "days", "expires"); err != nil {
		return err
	}
	type plain fileCert
	c.line = n.Line
	return n.Decode((*plain)(c))
}

func (p *filePerm) UnmarshalYAML(n *yaml.Node) error {
	if err := checkFields(n, "a permission", "type", "key", "range-end", "prefix", "from-key"); err != nil {
		return err
	}
	type plain filePerm
	p.line = n.Line
	return n.Decode((*plain)(p))
}

// MarshalYAML prints a permission on one line: {type: read, prefix: /a/}.
func (p filePerm) MarshalYAML() (any, error) {
	type plain filePerm
	var n yaml.Node
	if err := n.Encode(plain(p)); err != nil {
		return nil, err
	}
	n.Style = yaml.FlowStyle
	return &n, nil
}

// perm turns a written permission into its range.
func (p filePerm) perm() (Perm, error) {
	t, err := ParseType(p.Type)
	if p.Type == "" {
		err = errors.New("type is missing: read, write or readwrite")
	}
	if err != nil {
		return Perm{}, lineErr(p.line, "%v", err)
	}
	var r Range
	switch n := count(p.Key != nil, p.Prefix != nil, p.FromKey != nil); {
	case n != 1:
		return Perm{}, lineErr(p.line, "give exactly one of key, prefix and from-key")
	case p.RangeEnd != nil && p.Key == nil:
		return Perm{}, lineErr(p.line, "range-end goes with key: {type: read, key: /a, range-end: /m}")
	case p.Key != nil && *p.Key == "":
		return Perm{}, lineErr(p.line, "key is empty (prefix \"\" is every key)")
	case p.Key != nil && p.RangeEnd != nil:
		r = Between(*p.Key, *p.RangeEnd)
	case p.Key != nil:
		r = SingleKey(*p.Key)
	case p.Prefix != nil:
		r = Prefix(*p.Prefix)
	default:
		r = FromKey(*p.FromKey)
	}
	if err := r.Valid(); err != nil {
		return Perm{}, lineErr(p.line, "%v", err)
	}
	return Perm{Type: t, Range: r}, nil
}

func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func writtenPerm(p Perm) filePerm {
	form, key, end := p.Form()
	fp := filePerm{Type: string(p.Type)}
	switch form {
	case "key":
		fp.Key = &key
	case "range":
		fp.Key, fp.RangeEnd = &key, &end
	case "prefix":
		fp.Prefix = &key
	case "from-key":
		fp.FromKey = &key
	}
	return fp
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
var unknownFieldRE = regexp.MustCompile(`field (\S+) not found in type \S+`)

func yamlError(err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		return fe
	}
	if errors.Is(err, io.EOF) {
		return &FileError{Msg: "the file is empty"}
	}
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	fe = &FileError{Msg: msg}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		fmt.Sscan(m[1], &fe.Line)
		fe.Msg = m[2]
	}
	if m := unknownFieldRE.FindStringSubmatch(fe.Msg); m != nil {
		fe.Msg = fmt.Sprintf("unknown field %q", m[1])
	}
	return fe
}

// Parse reads a model from YAML (or JSON), refusing unknown fields and
// invalid, repeated or contradictory entries; errors are *FileError.
func Parse(data []byte) (*Model, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f fileModel
	if err := dec.Decode(&f); err != nil {
		return nil, yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, lineErr(extra.Line, "a second document: the file holds one model")
	}
	return f.model()
}

// Load reads and parses a file; errors name it. An empty file is refused
// (*fileio.EmptyError), never taken for an empty model.
func Load(path string) (*Model, error) {
	data, err := fileio.Read(path)
	if err != nil {
		return nil, err
	}
	m, err := Parse(data)
	var fe *FileError
	if errors.As(err, &fe) {
		fe.File = path
	}
	return m, err
}

func (f *fileModel) model() (*Model, error) {
	m := &Model{}
	switch f.Auth {
	case "":
	case "enabled":
		m.Auth = Bool(true)
	case "disabled":
		m.Auth = Bool(false)
	default:
		return nil, lineErr(f.authLine, "auth: %q: use enabled or disabled (or leave it out to keep auth as it is)", f.Auth)
	}
	roleLines := map[string]int{}
	for _, fr := range f.Roles {
		if fr.Name == "" {
			return nil, lineErr(fr.line, "a role needs a name")
		}
		if l, dup := roleLines[fr.Name]; dup {
			return nil, lineErr(fr.line, "role %q is already declared on line %d", fr.Name, l)
		}
		roleLines[fr.Name] = fr.line
		r := Role{Name: fr.Name, line: fr.line}
		if fr.Name == RootRole && len(fr.Permissions) > 0 {
			return nil, lineErr(fr.line, "role root may do anything: leave permissions out of it (etcd 3.5+ does not even show them)")
		}
		seen := map[Range]int{}
		for _, fp := range fr.Permissions {
			p, err := fp.perm()
			if err != nil {
				return nil, err
			}
			if l, dup := seen[p.Range]; dup {
				return nil, lineErr(fp.line, "role %q: %s is already given on line %d (give each range once; readwrite is read and write)", fr.Name, p.Range, l)
			}
			seen[p.Range] = fp.line
			r.Perms = append(r.Perms, p)
		}
		m.Roles = append(m.Roles, r)
	}
	userLines := map[string]int{}
	for _, fu := range f.Users {
		u, err := fu.user()
		if err != nil {
			return nil, err
		}
		if l, dup := userLines[u.Name]; dup {
			return nil, lineErr(fu.line, "user %q is already declared on line %d", u.Name, l)
		}
		userLines[u.Name] = fu.line
		m.Users = append(m.Users, u)
	}
	return m, nil
}

func (fu fileUser) user() (User, error) {
	if fu.Name == "" {
		return User{}, lineErr(fu.line, "a user needs a name")
	}
	u := User{Name: fu.Name, Password: fu.Password, PasswordEnv: fu.PasswordEnv, line: fu.line}
	for _, r := range fu.Roles {
		if slices.Contains(u.Roles, r) {
			return User{}, lineErr(fu.line, "user %q: role %q is listed twice", fu.Name, r)
		}
		u.Roles = append(u.Roles, r)
	}
	if fu.PasswordEnv != "" && (fu.Password == nil || !*fu.Password) {
		return User{}, lineErr(fu.line, "user %q: password-env needs password: true", fu.Name)
	}
	if c := fu.Certificate; c != nil {
		cert := &Certificate{File: c.File, Days: c.Days}
		if c.Days < 0 {
			return User{}, lineErr(c.line, "user %q: days must be positive", fu.Name)
		}
		if c.Expires != "" {
			t, err := time.Parse(time.RFC3339, c.Expires)
			if err != nil {
				return User{}, lineErr(c.line, "user %q: expires %q is not an RFC 3339 time (it is informational: export writes it, apply ignores it)", fu.Name, c.Expires)
			}
			cert.Expires = t
		}
		if cert.File != "" && (filepath.IsAbs(cert.File) || !filepath.IsLocal(cert.File)) {
			return User{}, lineErr(c.line, "user %q: certificate file %q must be a path inside the PKI directory", fu.Name, cert.File)
		}
		if cert.File == "" && !validFileName(fu.Name) {
			return User{}, lineErr(c.line, "user %q: the name cannot be a file name; give the certificate a file: clients/NAME.crt", fu.Name)
		}
		u.Certificate = cert
	}
	return u, nil
}

// validFileName: the default certificate file is clients/<user>.crt.
func validFileName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`+"\x00") && utf8.ValidString(name)
}

// CertFile is where u's certificate lives under the PKI directory.
func (u User) CertFile() string {
	if u.Certificate != nil && u.Certificate.File != "" {
		return u.Certificate.File
	}
	return filepath.Join("clients", u.Name+".crt")
}

func (m *Model) file() fileModel {
	var f fileModel
	if m.Auth != nil {
		f.Auth = map[bool]string{true: "enabled", false: "disabled"}[*m.Auth]
	}
	for _, r := range m.Roles {
		fr := fileRole{Name: r.Name}
		for _, p := range r.Effective() {
			fr.Permissions = append(fr.Permissions, writtenPerm(p))
		}
		f.Roles = append(f.Roles, fr)
	}
	for _, u := range m.Users {
		fu := fileUser{Name: u.Name, Roles: u.Roles, Password: u.Password, PasswordEnv: u.PasswordEnv}
		if c := u.Certificate; c != nil {
			fu.Certificate = &fileCert{File: c.File, Days: c.Days}
			if !c.Expires.IsZero() {
				fu.Certificate.Expires = c.Expires.UTC().Format(time.RFC3339)
			}
		}
		f.Users = append(f.Users, fu)
	}
	return f
}

// EncodeYAML prints the model in the file format (a valid input for Parse),
// headed by comment (one or more lines, without "#").
func (m *Model) EncodeYAML(comment string) ([]byte, error) {
	var n yaml.Node
	if err := n.Encode(m.file()); err != nil {
		return nil, err
	}
	if comment != "" {
		n.HeadComment = comment
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// EncodeJSON prints the model as JSON with the file's field names (also a
// valid input). Keys that are not UTF-8 cannot be written as JSON strings
// without loss, so they are an error.
func (m *Model) EncodeJSON() ([]byte, error) {
	for _, r := range m.Roles {
		for _, p := range r.Perms {
			if !utf8.ValidString(p.Key) || !utf8.ValidString(p.End) {
				return nil, fmt.Errorf("role %q has a permission on a key that is not UTF-8 (%s): JSON would alter it; use YAML", r.Name, p.Range)
			}
		}
	}
	return json.MarshalIndent(m.file(), "", "  ")
}
