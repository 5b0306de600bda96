// Package config owns yubin's configuration: the TOML file's schema, every key's
// default, the --dev defaults, and validation that names the offending key.
//
// It must never open sockets, touch the store or read anything but the config file:
// callers turn a Config into listeners and servers.
package config
