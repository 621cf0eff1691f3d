package ctxcmd

import (
	"crypto/x509"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

func showCommand() *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "show a context: endpoints, certificates (subject, SANs, expiry), user; secrets redacted",
		ArgsUsage: "[NAME]",
		Flags:     []cli.Flag{ctxflags.ConfigFlag(), contextFlag(), clix.OutputFlag("text", "json", "yaml")},
		Action:    showAction,
	}
}

// shown is a context as displayed. Secrets appear only as "(set)".
type shown struct {
	Name       string    `json:"name" yaml:"name"`
	Current    bool      `json:"current" yaml:"current"`
	Endpoints  []string  `json:"endpoints" yaml:"endpoints"`
	ServerName string    `json:"tlsServerName,omitempty" yaml:"tls-server-name,omitempty"`
	CA         *certInfo `json:"ca,omitempty" yaml:"ca,omitempty"`
	Cert       *certInfo `json:"clientCert,omitempty" yaml:"client-cert,omitempty"`
	Key        string    `json:"clientKey,omitempty" yaml:"client-key,omitempty"`
	User       string    `json:"user,omitempty" yaml:"user,omitempty"`
	Password   string    `json:"password,omitempty" yaml:"password,omitempty"`
	Token      string    `json:"token,omitempty" yaml:"token,omitempty"`
	Prefix     string    `json:"prefix,omitempty" yaml:"prefix,omitempty"`
	Note       string    `json:"note,omitempty" yaml:"note,omitempty"`
	Stored     string    `json:"stored" yaml:"stored"`
}

type certInfo struct {
	Subject  string    `json:"subject" yaml:"subject"`
	Issuer   string    `json:"issuer" yaml:"issuer"`
	SANs     []string  `json:"sans,omitempty" yaml:"sans,omitempty"`
	NotAfter time.Time `json:"notAfter" yaml:"not-after"`
	DaysLeft int       `json:"daysLeft" yaml:"days-left"`
	Source   string    `json:"source" yaml:"source"`
	// More are the certificates after the first in the file: the other CAs
	// of a bundle, the intermediates of a client certificate chain.
	More []certInfo `json:"more,omitempty" yaml:"more,omitempty"`
}

func showAction(c *cli.Context) error {
	name, err := namedContext(c)
	if err != nil {
		return err
	}
	format, err := clix.Format(c)
	if err != nil {
		return err
	}
	spec, err := ctxflags.Select(c, name)
	if err != nil {
		return err
	}
	store, err := ctxflags.Store(c)
	if err != nil {
		return err
	}
	current, _ := store.File.Selected("")
	s := describe(spec, spec.Name == current)
	switch format {
	case "json":
		return clix.WriteJSON(c.App.Writer, s)
	case "yaml":
		out, err := yaml.Marshal(s)
		if err != nil {
			return err
		}
		_, err = c.App.Writer.Write(out)
		return err
	}
	printShown(c.App.Writer, s)
	return nil
}

func describe(spec contexts.Spec, current bool) shown {
	s := shown{Name: spec.Name, Current: current, Endpoints: spec.Endpoints, ServerName: spec.ServerName,
		User: spec.Username, Prefix: spec.Prefix, Note: spec.Note, Stored: "keyring"}
	if spec.KeepPaths {
		s.Stored = "path"
	}
	s.CA = certOf(spec.CA)
	s.Cert = certOf(spec.Cert)
	if len(spec.Key.PEM) > 0 {
		s.Key = "(set) " + spec.Key.Source()
		if k, err := pki.ParseKey(spec.Key.PEM); err == nil {
			s.Key = pki.KeyType(k.Public()) + " " + spec.Key.Source()
		}
	}
	if spec.Password != "" {
		s.Password = "(set) keyring"
	}
	if spec.Token != "" {
		s.Token = "(set) keyring"
	}
	return s
}

func certOf(m contexts.Material) *certInfo {
	if len(m.PEM) == 0 {
		return nil
	}
	certs, err := pki.ParseCerts(m.PEM)
	if err != nil {
		return &certInfo{Subject: "unreadable: " + err.Error(), Source: m.Source()}
	}
	info := func(c *x509.Certificate) certInfo {
		return certInfo{Subject: c.Subject.String(), Issuer: c.Issuer.String(), SANs: sans(c), NotAfter: c.NotAfter.UTC(),
			DaysLeft: int(time.Until(c.NotAfter).Hours() / 24), Source: m.Source()}
	}
	first := info(certs[0])
	for _, c := range certs[1:] {
		first.More = append(first.More, info(c))
	}
	return &first
}

func sans(c *x509.Certificate) []string {
	out := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

func printShown(w io.Writer, s shown) {
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-12s %s\n", k+":", v)
		}
	}
	name := s.Name
	if s.Current {
		name += " (current)"
	}
	row("context", name)
	row("endpoints", strings.Join(s.Endpoints, ", "))
	row("server name", s.ServerName)
	for _, ci := range []struct {
		label string
		info  *certInfo
	}{{"CA", s.CA}, {"client cert", s.Cert}} {
		if ci.info == nil {
			continue
		}
		row(ci.label, ci.info.Subject+" ["+ci.info.Source+"]")
		if len(ci.info.SANs) > 0 {
			row("  SANs", strings.Join(ci.info.SANs, ", "))
		}
		if !ci.info.NotAfter.IsZero() {
			row("  expires", fmt.Sprintf("%s (%d days left)", ci.info.NotAfter.Format(time.DateOnly), ci.info.DaysLeft))
		}
		for _, m := range ci.info.More {
			row("  and", fmt.Sprintf("%s, expires %s (%d days left)", m.Subject, m.NotAfter.Format(time.DateOnly), m.DaysLeft))
		}
	}
	row("client key", s.Key)
	row("user", s.User)
	row("password", s.Password)
	row("token", s.Token)
	row("prefix", s.Prefix)
	row("note", s.Note)
}
