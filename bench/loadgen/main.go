// loadgen drives a broker with MQTT 3.1.1 clients that speak just enough of the protocol, so the
// generator costs little next to the broker it measures. Three modes:
//
//	loadgen -addr 127.0.0.1:1883 -n 20000 -c 64 [-userfile creds.txt]
//	    connect as fast as the broker accepts: CONNECT, wait for CONNACK, DISCONNECT, close;
//	    repeated by -c goroutines. Prints one JSON line: accepted, refused, failed, seconds,
//	    per_second.
//	loadgen -mode hold -addr 127.0.0.1:1883 (-userfile creds.txt | -n 10000) [-jitter 250ms]
//	    one persistent connection per credential line (or -n anonymous ones), client id
//	    "<prefix>-<line>", kept alive with PINGREQ; each reconnects when dropped, after a
//	    jittered delay (uniform in [0, jitter], doubling per failed attempt up to -max-delay).
//	    SIGUSR1 drops every connection at once. Prints JSON lines: {"event": "all", "t": ...}
//	    whenever all are connected, {"event": "drop", ...} when the first drops, and a
//	    {"event": "status", ...} line every second.
//	loadgen -mode rate -addr 127.0.0.1:1883 -userfile one.txt -rate 500 -seconds 5
//	    open loop: start a connect attempt every 1/rate s whatever the broker does. Prints one
//	    JSON line with the counts and the CONNACK latency p50/p99 in milliseconds.
//
// -userfile names a file of "username password" lines (cycled over in the first and last mode);
// without it, anonymous.
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type credential struct{ user, pass string }

func mqttString(s string) []byte {
	out := make([]byte, 2+len(s))
	binary.BigEndian.PutUint16(out, uint16(len(s)))
	copy(out[2:], s)
	return out
}

func connectPacket(clientID string, cred *credential) []byte {
	return connectPacketWith(clientID, cred, true, 30)
}

func connectPacketWith(clientID string, cred *credential, clean bool, keepalive uint16) []byte {
	flags := byte(0)
	if clean {
		flags = 0x02
	}
	payload := mqttString(clientID)
	if cred != nil {
		flags |= 0x80 | 0x40
		payload = append(payload, mqttString(cred.user)...)
		payload = append(payload, mqttString(cred.pass)...)
	}
	variable := append(mqttString("MQTT"), 4, flags, byte(keepalive>>8), byte(keepalive))
	body := append(variable, payload...)
	packet := []byte{0x10}
	for length := len(body); ; {
		digit := byte(length % 128)
		length /= 128
		if length > 0 {
			digit |= 0x80
		}
		packet = append(packet, digit)
		if length == 0 {
			break
		}
	}
	return append(packet, body...)
}

// once connects and disconnects one client; returns the CONNACK return code (0 = accepted).
func once(addr, clientID string, cred *credential) (byte, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0xff, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(connectPacket(clientID, cred)); err != nil {
		return 0xff, err
	}
	connack := make([]byte, 4)
	if _, err := io.ReadFull(conn, connack); err != nil {
		return 0xff, err
	}
	if connack[3] == 0 {
		conn.Write([]byte{0xe0, 0x00})
	}
	return connack[3], nil
}

func readCredentials(path string) ([]credential, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	var creds []credential
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) == 2 {
			creds = append(creds, credential{fields[0], fields[1]})
		}
	}
	return creds, scanner.Err()
}

func main() {
	mode := flag.String("mode", "connect", "connect | hold | rate")
	addr := flag.String("addr", "127.0.0.1:1883", "broker address")
	total := flag.Int("n", 10000, "connections to make (hold: clients when there is no -userfile)")
	concurrency := flag.Int("c", 32, "connections in flight")
	userFile := flag.String("userfile", "", "file of 'username password' lines, cycled over (none: anonymous)")
	jitter := flag.Duration("jitter", 250*time.Millisecond, "hold: reconnect delay, uniform in [0, jitter], doubling per failure")
	maxDelay := flag.Duration("max-delay", 2*time.Second, "hold: longest reconnect delay")
	prefix := flag.String("prefix", "storm", "hold: client id prefix")
	rate := flag.Float64("rate", 500, "rate: connect attempts per second")
	seconds := flag.Float64("seconds", 5, "rate: how long")
	flag.Parse()

	var creds []credential
	if *userFile != "" {
		var err error
		if creds, err = readCredentials(*userFile); err != nil || len(creds) == 0 {
			fmt.Fprintln(os.Stderr, "loadgen: cannot read credentials:", err)
			os.Exit(2)
		}
	}
	switch *mode {
	case "hold":
		hold(*addr, creds, *total, *jitter, *maxDelay, *prefix)
		return
	case "rate":
		openLoop(*addr, creds, *rate, *seconds)
		return
	case "connect":
	default:
		fmt.Fprintln(os.Stderr, "loadgen: unknown -mode", *mode)
		os.Exit(2)
	}
	var next, accepted, refused, failed int64
	var wg sync.WaitGroup
	started := time.Now()
	for worker := 0; worker < *concurrency; worker++ {
		wg.Add(1)
		go func(worker int) {
			defer wg.Done()
			for {
				n := atomic.AddInt64(&next, 1) - 1
				if n >= int64(*total) {
					return
				}
				var cred *credential
				if creds != nil {
					cred = &creds[n%int64(len(creds))]
				}
				code, err := once(*addr, fmt.Sprintf("load-%d-%d", worker, n), cred)
				switch {
				case err != nil:
					atomic.AddInt64(&failed, 1)
				case code == 0:
					atomic.AddInt64(&accepted, 1)
				default:
					atomic.AddInt64(&refused, 1)
				}
			}
		}(worker)
	}
	wg.Wait()
	elapsed := time.Since(started).Seconds()
	fmt.Printf("{\"accepted\": %d, \"refused\": %d, \"failed\": %d, \"seconds\": %.3f, \"per_second\": %.1f}\n",
		accepted, refused, failed, elapsed, float64(accepted)/elapsed)
}

// -- hold: persistent connections that come back -------------------------------------------

type holder struct {
	mu    sync.Mutex
	conns map[int]net.Conn
	connected, attempts, refused, failed int64
}

func (h *holder) set(index int, conn net.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if conn == nil {
		delete(h.conns, index)
	} else {
		h.conns[index] = conn
	}
}

func (h *holder) dropAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, conn := range h.conns {
		conn.Close()
	}
}

// session connects once and, when accepted, keeps the connection until it breaks.
func (h *holder) session(addr, clientID string, cred *credential, index int) bool {
	atomic.AddInt64(&h.attempts, 1)
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		atomic.AddInt64(&h.failed, 1)
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := conn.Write(connectPacketWith(clientID, cred, false, 60)); err != nil {
		atomic.AddInt64(&h.failed, 1)
		return false
	}
	connack := make([]byte, 4)
	if _, err := io.ReadFull(conn, connack); err != nil {
		atomic.AddInt64(&h.failed, 1)
		return false
	}
	if connack[3] != 0 {
		atomic.AddInt64(&h.refused, 1)
		return false
	}
	conn.SetDeadline(time.Time{})
	h.set(index, conn)
	atomic.AddInt64(&h.connected, 1)
	done := make(chan struct{})
	go func() { // keepalive 60 s: a PINGREQ every 30 s
		ticker := time.NewTicker(30 * time.Second)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
				conn.Write([]byte{0xc0, 0x00})
			}
		}
	}()
	io.Copy(io.Discard, conn) // PINGRESPs; returns when the connection breaks
	close(done)
	atomic.AddInt64(&h.connected, -1)
	h.set(index, nil)
	return true
}

func hold(addr string, creds []credential, total int, jitter, maxDelay time.Duration, prefix string) {
	if creds != nil {
		total = len(creds)
	}
	h := &holder{conns: make(map[int]net.Conn)}
	drops := make(chan os.Signal, 1)
	signal.Notify(drops, syscall.SIGUSR1)
	go func() {
		for range drops {
			h.dropAll()
		}
	}()
	for index := 0; index < total; index++ {
		var cred *credential
		if creds != nil {
			cred = &creds[index]
		}
		go func(index int, cred *credential) {
			random := rand.New(rand.NewSource(int64(index) + time.Now().UnixNano()))
			time.Sleep(time.Duration(random.Int63n(int64(jitter) + 1)))
			clientID := fmt.Sprintf("%s-%d", prefix, index)
			failures := 0
			for {
				if h.session(addr, clientID, cred, index) {
					failures = 0
				} else {
					failures++
				}
				window := jitter << uint(min(failures, 10))
				if window > maxDelay || window <= 0 {
					window = maxDelay
				}
				time.Sleep(time.Duration(random.Int63n(int64(window) + 1)))
			}
		}(index, cred)
	}
	now := func() float64 { return float64(time.Now().UnixNano()) / 1e9 }
	all, lastStatus := false, time.Now()
	for {
		connected := atomic.LoadInt64(&h.connected)
		if connected == int64(total) && !all {
			all = true
			fmt.Printf("{\"event\": \"all\", \"connected\": %d, \"t\": %.4f}\n", connected, now())
		} else if connected < int64(total) && all {
			all = false
			fmt.Printf("{\"event\": \"drop\", \"connected\": %d, \"t\": %.4f}\n", connected, now())
		}
		if time.Since(lastStatus) >= time.Second {
			lastStatus = time.Now()
			fmt.Printf("{\"event\": \"status\", \"connected\": %d, \"attempts\": %d, \"refused\": %d, \"failed\": %d, \"t\": %.4f}\n",
				connected, atomic.LoadInt64(&h.attempts), atomic.LoadInt64(&h.refused), atomic.LoadInt64(&h.failed), now())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// -- rate: an open-loop flood of connect attempts ------------------------------------------

func openLoop(addr string, creds []credential, rate, seconds float64) {
	var accepted, refused, failed, skipped, inFlight int64
	var mu sync.Mutex
	var latencies []float64
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate)
	started := time.Now()
	deadline := started.Add(time.Duration(seconds * float64(time.Second)))
	for n := 0; time.Now().Before(deadline); n++ {
		next := started.Add(time.Duration(n) * interval)
		if wait := time.Until(next); wait > 0 {
			time.Sleep(wait)
		}
		if atomic.LoadInt64(&inFlight) > 5000 { // the broker stopped answering: do not pile up forever
			atomic.AddInt64(&skipped, 1)
			continue
		}
		var cred *credential
		if creds != nil {
			cred = &creds[n%len(creds)]
		}
		wg.Add(1)
		atomic.AddInt64(&inFlight, 1)
		go func(n int) {
			defer wg.Done()
			defer atomic.AddInt64(&inFlight, -1)
			began := time.Now()
			code, err := once(addr, fmt.Sprintf("flood-%d", n), cred)
			elapsed := time.Since(began).Seconds() * 1000
			switch {
			case err != nil:
				atomic.AddInt64(&failed, 1)
				return
			case code == 0:
				atomic.AddInt64(&accepted, 1)
			default:
				atomic.AddInt64(&refused, 1)
			}
			mu.Lock()
			latencies = append(latencies, elapsed)
			mu.Unlock()
		}(n)
	}
	sent := time.Since(started).Seconds()
	wg.Wait()
	sort.Float64s(latencies)
	pick := func(q float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[int(q*float64(len(latencies)-1))]
	}
	total := accepted + refused + failed
	fmt.Printf("{\"attempts\": %d, \"accepted\": %d, \"refused\": %d, \"failed\": %d, \"skipped\": %d, \"seconds\": %.3f, \"per_second\": %.1f, \"p50_ms\": %.2f, \"p99_ms\": %.2f}\n",
		total, accepted, refused, failed, skipped, sent, float64(total)/sent, pick(0.5), pick(0.99))
}
