package transcript

import (
	"context"
	"database/sql"
	"errors"
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
		switch err := stmt.QueryRowContext(ctx, id).Scan(&one); {
		case errors.Is(err, sql.ErrNoRows):
			missing = append(missing, id)
		case err != nil: // a failing database is not proof of a lost answer
			return nil, fmt.Errorf("transcript: check answers: %w", err)
		}
	}
	return missing, nil
}
