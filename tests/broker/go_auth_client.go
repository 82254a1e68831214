// A stand-in for mosquitto-go-auth's HTTP backend (backends/http.go), for tests and benchmarks:
// it builds the request URL from the same options, sends the same request with net/http the same
// way, and prints what go-auth would log on an HTTP error, in logrus's text format. Written from
// a reading of go-auth's source; no code of it is copied here.
//
// Input (stdin, JSON): {"options": {"http_host": ..., "http_port": ..., ...}, "uri_option":
// "http_getuser_uri", "data": {...}}. Output (stdout, JSON): {"url", "status", "body"} or
// {"url", "log": [lines go-auth would write]}.
package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

type input struct {
	Options   map[string]string      `json:"options"`
	URIOption string                 `json:"uri_option"`
	Data      map[string]interface{} `json:"data"`
}

// logrusText formats an entry as logrus's TextFormatter does without a terminal and with
// FullTimestamp: time, level and msg, each value quoted (%q) when it has characters other
// than letters, digits and -._/@^+.
func logrusText(level, msg string) string {
	quote := func(s string) string {
		for _, ch := range s {
			if !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
				strings.ContainsRune("-._/@^+", ch)) {
				return fmt.Sprintf("%q", s)
			}
		}
		return s
	}
	return fmt.Sprintf("time=%s level=%s msg=%s", quote(time.Now().Format(time.RFC3339)), level, quote(msg))
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	o := in.Options
	scheme := "http://"
	if o["http_with_tls"] == "true" {
		scheme = "https://"
	}
	uri := o[in.URIOption]
	full := fmt.Sprintf("%s%s%s", scheme, o["http_host"], uri)
	if o["http_port"] != "" {
		full = fmt.Sprintf("%s%s:%s%s", scheme, o["http_host"], o["http_port"], uri)
	}
	timeout := 5
	fmt.Sscanf(o["http_timeout"], "%d", &timeout)
	client := &http.Client{Timeout: time.Duration(timeout) * time.Second}
	if o["http_verify_peer"] != "true" {
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	}
	method := http.MethodPost
	if o["http_method"] == http.MethodGet || o["http_method"] == http.MethodPut {
		method = o["http_method"]
	}
	userAgent := "mosquitto-2.0.11" // go-auth: "mosquitto-" + the Mosquitto version it was built against
	if ua, ok := o["http_user_agent"]; ok {
		userAgent = ua
	}

	out := map[string]interface{}{"url": full}
	var resp *http.Response
	var err error
	if o["http_params_mode"] == "form" {
		values := url.Values{}
		for key, value := range in.Data {
			values.Set(key, fmt.Sprint(value))
		}
		resp, err = client.PostForm(full, values)
	} else {
		body, _ := json.Marshal(in.Data)
		var req *http.Request
		req, err = http.NewRequest(method, full, bytes.NewReader(body))
		if err != nil {
			out["log"] = []string{logrusText("error", fmt.Sprintf("req error: %s", err))}
			json.NewEncoder(os.Stdout).Encode(out)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", userAgent)
		resp, err = client.Do(req)
	}
	if err != nil {
		// go-auth logs it in the backend, then again once the check fails (log.Error(err)).
		out["log"] = []string{logrusText("error", fmt.Sprintf("http request error: %s", err)),
			logrusText("error", err.Error())}
		json.NewEncoder(os.Stdout).Encode(out)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	out["status"] = resp.StatusCode
	out["body"] = string(body)
	json.NewEncoder(os.Stdout).Encode(out)
}
