package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yubinmail/yubin/mailbackend/queue"
)

func queueCommand(args []string, stdout io.Writer) error {
	verb, rest, err := subcommand("queue", args, "list", "retry", "del")
	if err != nil {
		return err
	}
	f, pos, err := parseArgs("queue "+verb, rest)
	if err != nil {
		return err
	}
	var id int64
	switch {
	case verb == "list":
		if err := wantArgs("queue list", pos, 0, "no arguments"); err != nil {
			return err
		}
	case verb == "retry" && f.all:
		if err := wantArgs("queue retry --all", pos, 0, "no ID with --all"); err != nil {
			return err
		}
	default:
		if err := wantArgs("queue "+verb, pos, 1, "one ID"); err != nil {
			return err
		}
		id, err = strconv.ParseInt(pos[0], 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("queue %s: %q is not a queue ID (see yubin queue list)", verb, pos[0])
		}
	}
	st, _, err := openStore(f)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	switch verb {
	case "list":
		items, err := queue.List(ctx, st)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			fmt.Fprintln(stdout, "queue is empty")
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tFROM\tRECIPIENTS\tATTEMPTS\tNEXT TRY\tLAST ERROR")
		for _, it := range items {
			from := it.From
			if from == "" {
				from = "<>"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", it.ID, from, strings.Join(it.Recipients, ","),
				it.Attempts, it.NextAttempt.Local().Format(time.DateTime), oneLine(it.LastError))
		}
		return tw.Flush()
	case "retry":
		if f.all {
			if err := queue.RetryAll(ctx, st); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "every queued message is due now")
			return nil
		}
		if err := queue.Retry(ctx, st, id); err != nil {
			return fmt.Errorf("queue retry %d: %w", id, err)
		}
		fmt.Fprintf(stdout, "%d is due now\n", id)
	case "del":
		if err := queue.Delete(ctx, st, id); err != nil {
			return fmt.Errorf("queue del %d: %w", id, err)
		}
		fmt.Fprintf(stdout, "deleted %d\n", id)
	}
	return nil
}
