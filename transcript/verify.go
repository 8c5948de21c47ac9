package transcript

import (
	"context"
	"fmt"
)

// MissingAnswers returns those of ids that are not in the log: the load
// tool's check that every answer a client received was committed.
func (s *Store) MissingAnswers(ctx context.Context, ids []string) ([]string, error) {
	stmt, err := s.db.PrepareContext(ctx, `SELECT 1 FROM turns WHERE answer_id = ?`)
	if err != nil {
		return nil, fmt.Errorf("transcript: check answers: %w", err)
	}
	defer stmt.Close()
	var missing []string
	for _, id := range ids {
		var one int
		if err := stmt.QueryRowContext(ctx, id).Scan(&one); err != nil {
			missing = append(missing, id)
		}
	}
	return missing, nil
}
