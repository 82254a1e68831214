// loadgen opens MQTT connections as fast as a broker accepts them: CONNECT, wait for CONNACK,
// DISCONNECT, close; repeated by many goroutines. It speaks just enough MQTT 3.1.1 for that, so
// the generator costs little next to the broker it measures.
//
//	loadgen -addr 127.0.0.1:1883 -n 20000 -c 64 [-userfile creds.txt]
//
// -userfile names a file of "username password" lines, cycled over; without it, anonymous.
// It prints one JSON line: accepted, refused, failed, seconds, per_second.
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
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
	flags := byte(0x02) // clean session
	payload := mqttString(clientID)
	if cred != nil {
		flags |= 0x80 | 0x40
		payload = append(payload, mqttString(cred.user)...)
		payload = append(payload, mqttString(cred.pass)...)
	}
	variable := append(mqttString("MQTT"), 4, flags, 0, 30)
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
	addr := flag.String("addr", "127.0.0.1:1883", "broker address")
	total := flag.Int("n", 10000, "connections to make")
	concurrency := flag.Int("c", 32, "connections in flight")
	userFile := flag.String("userfile", "", "file of 'username password' lines, cycled over (none: anonymous)")
	flag.Parse()

	var creds []credential
	if *userFile != "" {
		var err error
		if creds, err = readCredentials(*userFile); err != nil || len(creds) == 0 {
			fmt.Fprintln(os.Stderr, "loadgen: cannot read credentials:", err)
			os.Exit(2)
		}
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
