package loadtest

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"time"
)

// FloodResult is what flooding clients got: they send asks as fast as the
// socket takes them, never waiting for answers.
type FloodResult struct {
	Clients int            `json:"clients"`
	Sent    int            `json:"sent"`
	Frames  map[string]int `json:"frames"` // by type, and "error:<code>" for errors
	Closed  int            `json:"closed"` // sockets the server closed on them
}

// flood runs n flooding clients until ctx ends.
func flood(ctx context.Context, cfg Config, n int) FloodResult {
	res := FloodResult{Clients: n, Frames: map[string]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			conn, err := dial(ctx, cfg.URL, cfg.Origin, 0)
			if err != nil {
				mu.Lock()
				res.Frames["error:connect"]++
				mu.Unlock()
				return
			}
			stop := context.AfterFunc(ctx, func() { conn.Close() })
			defer stop()
			defer conn.Close()
			readDone := make(chan struct{})
			go func() {
				defer close(readDone)
				for {
					_, data, err := conn.ReadMessage()
					if err != nil {
						if ctx.Err() == nil {
							mu.Lock()
							res.Closed++
							mu.Unlock()
						}
						return
					}
					var f frame
					json.Unmarshal(data, &f)
					key := f.Type
					if f.Type == "error" {
						key = "error:" + f.Code
					}
					mu.Lock()
					res.Frames[key]++
					mu.Unlock()
				}
			}()
			sent := 0
			for k := 0; ctx.Err() == nil && !isClosed(readDone); k++ {
				q := cfg.Questions[(i+k)%len(cfg.Questions)]
				conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
				if err := conn.WriteJSON(map[string]string{"type": "ask", "id": "f" + strconv.Itoa(k), "text": q}); err != nil {
					break
				}
				sent++
			}
			mu.Lock()
			res.Sent += sent
			mu.Unlock()
			<-readDone
		})
	}
	wg.Wait()
	return res
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
