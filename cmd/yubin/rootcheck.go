package main

import (
	"fmt"
	"net"
	"reflect"

	"github.com/yubinmail/yubin/mailbackend/config"
)

// refuseRoot stops `yubin serve` from running as root with a listener reachable from
// outside: a flaw in any parser would then hand the whole machine to the sender. A
// server runs as a user of its own with CAP_NET_BIND_SERVICE for the low ports
// (contrib/yubin.service), or is started as root with --user and becomes that
// user once its listeners are bound (privdrop.go), before this check. Root stays
// allowed for --dev, for a server every listener of which is on loopback (local
// trials, the tests, CI, which run as root), and with --allow-root (a container
// whose root is no one's root).
func refuseRoot(cfg *config.Config, euid int, allowRoot bool) error {
	if euid != 0 || cfg.Dev || allowRoot {
		return nil
	}
	if key, addr, ok := outsideListener(cfg.Listen); ok {
		return fmt.Errorf("serve: refusing to run as root with listen.%s = %q reachable from outside; run as a user of its own with CAP_NET_BIND_SERVICE (contrib/yubin.service), start it as root with --user yubin (it binds, then gives up root), or pass --allow-root", key, addr)
	}
	return nil
}

// outsideListener returns the first configured listener not bound to a loopback
// address. Every string field of config.Listen is a listener, so one added later is
// covered without a change here.
func outsideListener(l config.Listen) (key, addr string, found bool) {
	v := reflect.ValueOf(l)
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if f.Type.Kind() != reflect.String {
			continue
		}
		addr := v.Field(i).String()
		if addr == "" {
			continue // off
		}
		if !isLoopbackAddr(addr) {
			return f.Tag.Get("toml"), addr, true
		}
	}
	return "", "", false
}

func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
