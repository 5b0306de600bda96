package managesieve

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/yubinmail/yubin/mailbackend/sieve"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// scriptCommands are the commands of the authenticated state (RFC 5804
// section 2).
var scriptCommands = map[string]bool{
	"LISTSCRIPTS": true, "GETSCRIPT": true, "PUTSCRIPT": true, "SETACTIVE": true,
	"DELETESCRIPT": true, "RENAMESCRIPT": true, "CHECKSCRIPT": true, "HAVESPACE": true,
}

// argCount is how many string arguments each command takes.
var argCount = map[string]int{
	"LISTSCRIPTS": 0, "GETSCRIPT": 1, "PUTSCRIPT": 2, "SETACTIVE": 1,
	"DELETESCRIPT": 1, "RENAMESCRIPT": 2, "CHECKSCRIPT": 1, "HAVESPACE": 2,
}

func (c *conn) script(name string, args []string) {
	want, ok := argCount[name]
	if !ok {
		c.no("", "Unknown command")
		return
	}
	if len(args) != want {
		c.no("", "Wrong number of arguments")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id := c.account.ID
	st := c.srv.store
	switch name {
	case "LISTSCRIPTS":
		list, err := st.ListScripts(ctx, id)
		if err != nil {
			c.fail(name, err)
			return
		}
		for _, sc := range list {
			c.w.WriteString(quote(sc.Name))
			if sc.Active {
				c.w.WriteString(" ACTIVE")
			}
			c.w.WriteString("\r\n")
		}
		c.ok("", "Listscripts completed")
	case "GETSCRIPT":
		sc, err := st.GetScript(ctx, id, args[0])
		if err != nil {
			c.fail(name, err)
			return
		}
		// RFC 5804 section 2.9: the script as a literal, then OK.
		c.w.WriteString("{" + strconv.Itoa(len(sc.Text)) + "}\r\n" + sc.Text + "\r\n")
		c.ok("", "Getscript completed")
	case "CHECKSCRIPT":
		if c.check(args[0]) {
			c.ok("", "Script is valid")
		}
	case "PUTSCRIPT":
		if !c.check(args[1]) {
			return
		}
		if err := st.PutScript(ctx, id, args[0], args[1]); err != nil {
			c.fail(name, err)
			return
		}
		c.log.Info("managesieve: script stored", "script", args[0], "size", len(args[1]))
		c.ok("", "Putscript completed")
	case "SETACTIVE":
		if err := st.ActivateScript(ctx, id, args[0]); err != nil {
			c.fail(name, err)
			return
		}
		c.log.Info("managesieve: script activated", "script", args[0])
		c.ok("", "Setactive completed")
	case "DELETESCRIPT":
		if err := st.DeleteScript(ctx, id, args[0]); err != nil {
			c.fail(name, err)
			return
		}
		c.ok("", "Deletescript completed")
	case "RENAMESCRIPT":
		if err := st.RenameScript(ctx, id, args[0], args[1]); err != nil {
			c.fail(name, err)
			return
		}
		c.ok("", "Renamescript completed")
	case "HAVESPACE":
		size, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil || size < 0 {
			c.no("", "Size must be a number")
			return
		}
		if size > store.MaxScriptBytes {
			c.no("QUOTA/MAXSIZE", "Script too large")
			return
		}
		list, err := st.ListScripts(ctx, id)
		if err != nil {
			c.fail(name, err)
			return
		}
		exists := false
		for _, sc := range list {
			exists = exists || sc.Name == args[0]
		}
		if !exists && len(list) >= store.MaxScripts {
			c.no("QUOTA/MAXSCRIPTS", "Too many scripts")
			return
		}
		c.ok("", "Putscript would succeed")
	}
}

// check parses a script and answers NO with the position of its first error
// (RFC 5804 section 2.6: the text says what is wrong).
func (c *conn) check(text string) bool {
	if len(text) > sieve.MaxScriptBytes {
		c.no("QUOTA/MAXSIZE", "Script too large")
		return false
	}
	if _, err := sieve.Parse(text); err != nil {
		c.no("", err.Error())
		return false
	}
	return true
}

// fail answers a store error with the response code RFC 5804 section 1.3 has
// for it; anything else is logged and answered in general terms.
func (c *conn) fail(cmd string, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.no("NONEXISTENT", "No such script")
	case errors.Is(err, store.ErrScriptActive):
		c.no("ACTIVE", "The active script cannot be deleted")
	case errors.Is(err, store.ErrExists):
		c.no("ALREADYEXISTS", "A script by that name exists")
	case errors.Is(err, store.ErrTooManyScripts):
		c.no("QUOTA/MAXSCRIPTS", "Too many scripts")
	case errors.Is(err, store.ErrTooBig):
		c.no("QUOTA/MAXSIZE", "Script too large")
	case errors.Is(err, store.ErrInvalidName):
		c.no("", "Invalid script name")
	default:
		c.log.Error("managesieve: store error", "command", cmd, "err", err)
		c.no("TRYLATER", "Temporary failure")
	}
}
