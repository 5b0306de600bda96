package sieveclient_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/mailbackend"
	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/config"
	"github.com/yubinmail/yubin/web/sieveclient"
)

const password = "sieve client test"

// server starts the bundled mail server with its ManageSieve listener on loopback.
func server(t *testing.T) sieveclient.Server {
	t.Helper()
	cfg := config.Dev()
	cfg.DataDir = t.TempDir()
	cfg.Listen = config.Listen{SMTP: "127.0.0.1:0", ManageSieve: "127.0.0.1:0"}
	run, err := mailbackend.Start(context.Background(), &cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Close() })
	hash, _ := auth.HashPassword(password)
	if _, err := run.Store.AddAccount(context.Background(), "alice@localhost", hash, ""); err != nil {
		t.Fatal(err)
	}
	return sieveclient.Server{Addr: run.Addr("managesieve"), InsecureSkipVerify: true}
}

func TestScriptsRoundTripThroughTheServer(t *testing.T) {
	srv := server(t)
	if _, err := srv.Dial(context.Background(), "alice@localhost", "wrong"); !errors.Is(err, sieveclient.ErrAuth) {
		t.Fatalf("wrong password: %v, want ErrAuth", err)
	}
	c, err := srv.Dial(context.Background(), "alice@localhost", password)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ext := strings.Join(c.Extensions(), " "); !strings.Contains(ext, "vacation") {
		t.Errorf("SIEVE capability %q lacks vacation", ext)
	}
	name := `休暇 "a\b"`
	script := "# 件名に「請求書」\r\nrequire \"fileinto\";\r\nif header :contains \"subject\" \"\\\"請求書\\\"\" { fileinto \"x\"; }\r\n"
	if err := c.PutScript(name, script); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetScript(name); err != nil || got != script {
		t.Fatalf("GETSCRIPT: %q, %v; want %q", got, err, script)
	}
	err = c.PutScript("broken", "keep;\r\nif true {\r\n  frobnicate;\r\n}\r\n")
	var se *sieveclient.Error
	if !errors.As(err, &se) || !strings.Contains(se.Text, "line 3") {
		t.Errorf("broken script: %v, want a NO with its line", err)
	}
	if _, err := c.GetScript("missing"); !errors.As(err, &se) || se.Code != "NONEXISTENT" {
		t.Errorf("missing script: %v", err)
	}
	if err := c.SetActive(name); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListScripts()
	if err != nil || len(list) != 1 || list[0] != (sieveclient.Script{Name: name, Active: true}) {
		t.Errorf("LISTSCRIPTS: %+v, %v", list, err)
	}
	if err := c.SetActive(""); err != nil {
		t.Fatal(err)
	}
	if list, _ := c.ListScripts(); len(list) != 1 || list[0].Active {
		t.Errorf("after deactivating: %+v", list)
	}
}

// A server that offers neither STARTTLS nor SASL PLAIN (a plaintext connection
// it will not take a password on) never sees the password.
func TestNoPasswordWithoutAMechanism(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "\"IMPLEMENTATION\" \"other\"\r\n\"SASL\" \"\"\r\nOK\r\n")
		rest, _ := io.ReadAll(bufio.NewReader(c))
		got <- string(rest)
	}()
	_, err = sieveclient.Server{Addr: ln.Addr().String()}.Dial(context.Background(), "alice@localhost", password)
	if !errors.Is(err, sieveclient.ErrUnavailable) {
		t.Errorf("dial: %v, want ErrUnavailable", err)
	}
	if sent := <-got; strings.Contains(sent, "AUTHENTICATE") {
		t.Errorf("client sent %q", sent)
	}
}
