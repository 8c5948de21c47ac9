package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"time"
)

// idBytes random bytes make a conversation id: 128 bits, so ids
// cannot be guessed, and resuming by id is safe without an account.
const idBytes = 16

// newID returns a fresh random id of 32 lowercase hex characters.
func newID() string {
	var b [idBytes]byte
	rand.Read(b[:]) // never fails (crypto/rand crashes the program instead)
	return hex.EncodeToString(b[:])
}

// newAnswerID returns a fresh answer id of the same shape as newID: the
// time in milliseconds (48 bits) followed by 80 random bits. Answer ids
// that grow with time are appended at the end of the transcript log's
// indexes instead of landing on a random page each, so a commit writes a
// few pages for a whole batch of answers rather than several per answer.
// They need not be unguessable: feedback on an answer is accepted only
// within its conversation, whose id is 128 random bits.
func newAnswerID() string {
	var b [idBytes]byte
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(time.Now().UnixMilli()))
	copy(b[:6], ms[2:])
	rand.Read(b[6:])
	return hex.EncodeToString(b[:])
}

// validID reports whether s has the shape newID produces.
func validID(s string) bool {
	if len(s) != 2*idBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// convRef stands for a conversation id in log lines. The id is the key to
// the conversation's history, so logs, which travel to more people and
// places than the transcript log, carry a one-way digest instead: enough
// to follow one conversation through the lines, useless for resuming it.
func convRef(id string) slog.Attr {
	if id == "" {
		return slog.String("conversation_ref", "")
	}
	sum := sha256.Sum256([]byte("cellchat log ref\x00" + id))
	return slog.String("conversation_ref", hex.EncodeToString(sum[:6]))
}
