package mailbackend

import (
	"fmt"
	"net"
	"reflect"

	"github.com/yubinmail/yubin/mailbackend/config"
)

// BindAll opens every listener of cfg's [listen] section now and keeps them in
// cfg.Bound, for a process started as root that gives up root next (yubin serve
// --user): binding ports below 1024 needs root or CAP_NET_BIND_SERVICE, serving
// them does not. Every string field of config.Listen is a listener, so one added
// later is bound without a change here. On error nothing stays open.
func BindAll(cfg *config.Config) error {
	bound := map[string]net.Listener{}
	v := reflect.ValueOf(cfg.Listen)
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).Kind() != reflect.String {
			continue
		}
		addr := v.Field(i).String()
		if addr == "" || bound[addr] != nil {
			continue
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range bound {
				l.Close()
			}
			return fmt.Errorf("listen.%s: %w", v.Type().Field(i).Tag.Get("toml"), err)
		}
		bound[addr] = ln
	}
	cfg.Bound = bound
	return nil
}

// Listen returns the listener for addr: the one BindAll opened (handed out
// once), else a new one.
func Listen(cfg *config.Config, addr string) (net.Listener, error) {
	if ln, ok := cfg.Bound[addr]; ok {
		delete(cfg.Bound, addr)
		return ln, nil
	}
	return net.Listen("tcp", addr)
}
