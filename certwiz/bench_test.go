package certwiz

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchPlan is the benchmark's cluster: 3 members, 3 clients, ECDSA P-256,
// separate peer CA — what openSSLScript produces too.
func benchPlan(tb testing.TB, out string) *Plan {
	p := &Plan{Cluster: "bench", Out: out, Clients: []Client{{Name: "root"}, {Name: "app"}, {Name: "ops"}}}
	for i := range 3 {
		p.Members = append(p.Members, Member{Name: "etcd-" + string(rune('0'+i)), IPs: []string{"10.0.1.1" + string(rune('0'+i))}})
	}
	if err := p.Complete(); err != nil {
		tb.Fatal(err)
	}
	return p
}

// BenchmarkFullPKI generates and writes the whole PKI of a 3-member cluster
// with 3 clients: 11 key pairs and certificates, 22 files.
func BenchmarkFullPKI(b *testing.B) {
	p := benchPlan(b, b.TempDir())
	b.ReportAllocs()
	for b.Loop() {
		k, err := Generate(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := k.Write(true); err != nil {
			b.Fatal(err)
		}
	}
}

// openSSLScript is the usual hand-written recipe producing the same files,
// SANs and usages as BenchmarkFullPKI's plan.
const openSSLScript = `set -e
cd "$1"
ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.crt" \
    -days 3650 -subj "/CN=$2" -set_serial "0x$(openssl rand -hex 16)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
  chmod 600 "$1.key"
}
leaf() { # path cn ca eku [sans]
  mkdir -p -m 700 "$(dirname "$1")"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
  chmod 600 "$1.key"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$4"
    echo "subjectKeyIdentifier=hash"
    echo "authorityKeyIdentifier=keyid"
    if [ -n "$5" ]; then echo "subjectAltName=$5"; fi
  } > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days 365 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
ca ca "bench etcd CA"
ca peer-ca "bench etcd peer CA"
for i in 0 1 2; do
  leaf etcd-$i/server etcd-$i ca serverAuth,clientAuth "DNS:localhost,DNS:etcd-$i,IP:127.0.0.1,IP:::1,IP:10.0.1.1$i"
  leaf etcd-$i/peer etcd-$i peer-ca serverAuth,clientAuth "DNS:etcd-$i,IP:10.0.1.1$i"
done
for c in root app ops; do
  leaf clients/$c $c ca clientAuth
done
`

func needOpenSSL(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal("openssl is missing in CI")
		}
		tb.Skip("openssl is not installed")
	}
}

func runOpenSSL(tb testing.TB, dir string) {
	tb.Helper()
	out, err := exec.Command("sh", "-c", openSSLScript, "sh", dir).CombinedOutput()
	if err != nil {
		tb.Fatalf("openssl script: %v\n%s", err, out)
	}
}

// BenchmarkOpenSSLPKI runs the openssl recipe for the same PKI.
func BenchmarkOpenSSLPKI(b *testing.B) {
	needOpenSSL(b)
	base := b.TempDir()
	i := 0
	for b.Loop() {
		dir := filepath.Join(base, string(rune('a'+i%26))+strings.Repeat("x", i/26))
		i++
		if err := os.Mkdir(dir, 0o700); err != nil {
			b.Fatal(err)
		}
		runOpenSSL(b, dir)
	}
}

// TestOpenSSLScriptIsEquivalent: the benchmark compares like with like —
// check finds the openssl tree complete and fit, with the same files.
func TestOpenSSLScriptIsEquivalent(t *testing.T) {
	needOpenSSL(t)
	dir := t.TempDir()
	runOpenSSL(t, dir)
	check, err := CheckTree(dir, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if results := check.Results; Failed(results) {
		t.Fatalf("openssl tree fails check: %+v", results)
	}
	ours := t.TempDir()
	if _, err := mustGenerate(t, benchPlan(t, ours)).Write(false); err != nil {
		t.Fatal(err)
	}
	if a, b := listFiles(t, dir), listFiles(t, ours); a != b {
		t.Fatalf("different files:\nopenssl: %s\ncertwiz: %s", a, b)
	}
}

func listFiles(t *testing.T, dir string) string {
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel+" "+fi.Mode().Perm().String())
		}
		return nil
	})
	return strings.Join(out, ", ")
}
