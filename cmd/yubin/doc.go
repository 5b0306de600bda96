// Command yubin is the single binary of the yubin mail system: the mail server, the
// webmail and the administration commands (users, domains, aliases, queue).
//
// It only parses flags, loads the configuration and calls into the packages; every
// error becomes one readable line on stderr and a non-zero exit status.
package main
