// Package transports is hmpsh's model of where a migration goes: QMP's
// MigrationChannel with its MigrationAddress union (socket with inet, unix,
// vsock and fd addresses; exec; rdma; file), the legacy URI strings QEMU's
// HMP takes, in both directions, and the checks QEMU itself does not do.
//
// The key=value syntax and its types belong to the schema (package qmp);
// this package reads the typed result, so it never second-guesses QEMU
// about which keys exist, only about what they may say.
package transports

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Channel is one MigrationChannel: a channel type and an address.
type Channel struct {
	Type string // "main" or "cpr"
	Addr Address
}

// Address is a MigrationAddress read from its JSON form. Keys this model
// does not know (a newer QEMU's) are kept by name in Other so that nothing
// is dropped silently.
type Address struct {
	Transport string // socket, exec, rdma, file
	Type      string // socket only: inet, unix, vsock, fd

	// inet (socket type=inet, and rdma)
	Host, Port                            string
	Numeric, IPv4, IPv6, KeepAlive, MPTCP *bool
	To                                    *uint64

	// unix
	Path            string
	Abstract, Tight *bool

	// vsock (Port is shared with inet)
	CID string

	// fd
	Str string

	// exec
	Args []string

	// file
	Filename string
	Offset   *uint64

	// Given lists the keys present, in JSON order.
	Given []string
	// Other lists present keys this model does not know.
	Other []string
}

// Has reports whether key was given.
func (a *Address) Has(key string) bool {
	for _, k := range a.Given {
		if k == key {
			return true
		}
	}
	return false
}

// ChannelFromJSON reads a MigrationChannel object: {"channel-type":...,
// "addr":{...}}.
func ChannelFromJSON(data []byte) (Channel, error) {
	var raw struct {
		Type string          `json:"channel-type"`
		Addr json.RawMessage `json:"addr"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return Channel{}, fmt.Errorf("channel: %w", err)
	}
	a, err := AddressFromJSON(raw.Addr)
	if err != nil {
		return Channel{}, err
	}
	return Channel{Type: raw.Type, Addr: a}, nil
}

// AddressFromJSON reads a MigrationAddress object, in one pass that keeps
// the order of its keys, so errors follow what the user wrote.
func AddressFromJSON(data []byte) (Address, error) {
	var a Address
	str := map[string]*string{
		"transport": &a.Transport, "type": &a.Type, "host": &a.Host, "port": &a.Port,
		"path": &a.Path, "cid": &a.CID, "str": &a.Str, "filename": &a.Filename,
	}
	boolean := map[string]**bool{
		"numeric": &a.Numeric, "ipv4": &a.IPv4, "ipv6": &a.IPv6, "keep-alive": &a.KeepAlive,
		"mptcp": &a.MPTCP, "abstract": &a.Abstract, "tight": &a.Tight,
	}
	unsigned := map[string]**uint64{"to": &a.To, "offset": &a.Offset}
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return Address{}, fmt.Errorf("address: want a JSON object: %s", data)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return Address{}, fmt.Errorf("address: %w", err)
		}
		k, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return Address{}, fmt.Errorf("address key %q: %w", k, err)
		}
		// A key given twice: the last value counts, as in json.Unmarshal.
		known := true
		switch {
		case str[k] != nil:
			err = json.Unmarshal(raw, str[k])
		case boolean[k] != nil:
			err = json.Unmarshal(raw, boolean[k])
		case unsigned[k] != nil:
			err = json.Unmarshal(raw, unsigned[k])
		case k == "args":
			err = json.Unmarshal(raw, &a.Args)
		default:
			known = false
		}
		if err != nil {
			return Address{}, fmt.Errorf("address key %q: %w", k, err)
		}
		if !a.Has(k) {
			a.Given = append(a.Given, k)
			if !known {
				a.Other = append(a.Other, k)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return Address{}, fmt.Errorf("address: %w", err)
	}
	return a, nil
}
