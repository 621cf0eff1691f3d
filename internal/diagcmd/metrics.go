package diagcmd

import (
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/etcd-ctx/etcd-ctx/diag"
)

// The exporter's metrics. Labels carry names only: contexts, members,
// finding ids, certificate subjects, issuers and serials, which are public
// (every client of the cluster is sent them); never a cause, evidence,
// endpoint credentials or anything read from the keyring.
var (
	descUp = prometheus.NewDesc("etcd_diag_up",
		"1 when the last diagnosis of the context ran and at least one endpoint answered as etcd, else 0.", []string{"context"}, nil)
	descHealthy = prometheus.NewDesc("etcd_diag_healthy",
		"1 when the last diagnosis of the context found no error and no warning (etcd-diag's exit status 0), else 0.", []string{"context"}, nil)
	descFindings = prometheus.NewDesc("etcd_diag_findings",
		"Findings of the last diagnosis by id (etcd-diag explain's and the README's ids) and severity (error, warning, info).", []string{"context", "id", "severity"}, nil)
	descCertNotAfter = prometheus.NewDesc("etcd_diag_cert_not_after_seconds", certHelp,
		[]string{"context", "member", "port", "role", "subject", "issuer", "serial"}, nil)
	descMembers = prometheus.NewDesc("etcd_diag_members",
		"Members of the context's cluster: listed in the member list, and reachable with the context's settings.", []string{"context", "state"}, nil)
	descDuration = prometheus.NewDesc("etcd_diag_run_duration_seconds",
		"How long the last diagnosis of the context took.", []string{"context"}, nil)
	descLastRun = prometheus.NewDesc("etcd_diag_last_run_timestamp_seconds",
		"When the last run over every context ended (Unix time).", nil, nil)
	descRuns = prometheus.NewDesc("etcd_diag_runs_total",
		"Runs over every context completed since the exporter started.", nil, nil)
)

const certHelp = "Expiry (Unix time) of each certificate of the context's inventory, as etcd-diag certs lists it: role server (served on a member's client URL, port client), " +
	"peer (on its peer URL, port peer), client (the context's client certificate) or ca (its CA bundle, or an intermediate a member sends)."

// snapshot is what the last run found; scrapes read it and never diagnose.
type snapshot struct {
	contexts []contextState
	ended    time.Time
	runs     int
}

type contextState struct {
	name              string
	up, healthy       bool
	duration          float64
	findings          map[[2]string]int // {id, severity} → count
	certs             []diag.Certificate
	listed, reachable int
	hasMemberList     bool
}

// newSnapshot turns a run's reports into the state scrapes read.
func newSnapshot(reports []*diag.Report, ended time.Time, runs int) *snapshot {
	s := &snapshot{ended: ended, runs: runs}
	for _, r := range reports {
		s.contexts = append(s.contexts, stateOf(r, r.Certificates()))
	}
	return s
}

// stateOf is what one report says for the metrics.
func stateOf(r *diag.Report, certs []diag.Certificate) contextState {
	st := contextState{name: r.Context, healthy: r.Error == "" && r.Healthy, duration: float64(r.Elapsed) / 1000,
		findings: map[[2]string]int{}, certs: certs}
	st.up = r.Error == "" && slices.ContainsFunc(r.Endpoints, func(ep *diag.Endpoint) bool { return ep.Reachable })
	for _, f := range r.Findings {
		st.findings[[2]string{f.ID, string(f.Severity)}]++
	}
	if r.Cluster != nil {
		st.hasMemberList, st.listed = true, len(r.Cluster.Members)
		for _, m := range r.Cluster.Members {
			if m.Reachable {
				st.reachable++
			}
		}
	}
	return st
}

// collector exposes the latest snapshot.
type collector struct{ last atomic.Pointer[snapshot] }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descHealthy, descFindings, descCertNotAfter, descMembers, descDuration, descLastRun, descRuns} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.last.Load()
	if s == nil {
		ch <- prometheus.MustNewConstMetric(descRuns, prometheus.CounterValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descRuns, prometheus.CounterValue, float64(s.runs))
	ch <- prometheus.MustNewConstMetric(descLastRun, prometheus.GaugeValue, float64(s.ended.UnixNano())/1e9)
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, st := range s.contexts {
		gauge(descUp, bool01(st.up), st.name)
		gauge(descHealthy, bool01(st.healthy), st.name)
		gauge(descDuration, st.duration, st.name)
		for k, n := range st.findings {
			gauge(descFindings, float64(n), st.name, k[0], k[1])
		}
		if st.hasMemberList {
			gauge(descMembers, float64(st.listed), st.name, "listed")
			gauge(descMembers, float64(st.reachable), st.name, "reachable")
		}
		// One series per certificate and place: a member serving one
		// certificate on two client URLs is one series.
		seen := map[[7]string]bool{}
		for _, x := range st.certs {
			labels := [7]string{st.name, x.Member, x.Port, x.Role, x.Subject, x.Issuer, x.Serial}
			if seen[labels] {
				continue
			}
			seen[labels] = true
			gauge(descCertNotAfter, float64(x.NotAfter.Unix()), labels[:]...)
		}
	}
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
