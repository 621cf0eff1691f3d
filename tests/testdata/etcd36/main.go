// Command member (etcd 3.6 build) runs one plaintext etcd member from flags, for tests that
// need members as separate processes (and, built from tests/testdata/etcd36,
// of another etcd version). It prints "ready" once the member serves.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/url"

	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	name := flag.String("name", "", "member name")
	dir := flag.String("data-dir", "", "data directory")
	client := flag.String("client-url", "", "client URL (http://127.0.0.1:PORT)")
	peer := flag.String("peer-url", "", "peer URL (http://127.0.0.1:PORT)")
	initial := flag.String("initial-cluster", "", "NAME=PEERURL,…")
	flag.Parse()
	cu, err := url.Parse(*client)
	if err != nil {
		log.Fatal(err)
	}
	pu, err := url.Parse(*peer)
	if err != nil {
		log.Fatal(err)
	}
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = *name, *dir
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster, cfg.InitialClusterToken = *initial, "member"
	cfg.LogLevel = "error"
	cfg.TickMs, cfg.ElectionMs = 50, 500
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		log.Fatal(err)
	}
	<-e.Server.ReadyNotify()
	fmt.Println("ready")
	log.Fatal(<-e.Err())
}
