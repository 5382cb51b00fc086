// go-sql-driver/mysql against a q4d server: prints one line per check and
// a closing "pass N fail M". Run by tests/server/go_test.ts as:
//
//	main DSN TABLE
//
// (the DSN decides TCP or Unix socket and interpolateParams).
package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/go-sql-driver/mysql"
)

var pass, fail int

func check(name string, ok bool, detail ...interface{}) {
	if ok {
		pass++
		fmt.Println("ok", name)
	} else {
		fail++
		fmt.Println("FAIL", name, fmt.Sprint(detail...))
	}
}

func must(name string, err error) bool {
	if err != nil {
		check(name, false, err)
		return false
	}
	check(name, true)
	return true
}

func main() {
	dsn, table := os.Args[1], os.Args[2]
	defer func() { fmt.Printf("pass %d fail %d\n", pass, fail) }()
	db, err := sql.Open("mysql", dsn)
	if !must("open", err) {
		return
	}
	defer db.Close()
	ctx := context.Background()
	// Owner mode belongs to one session: pin one connection.
	conn, err := db.Conn(ctx)
	if !must("conn", err) {
		return
	}
	defer conn.Close()
	must("ping", conn.PingContext(ctx))

	_, err = conn.ExecContext(ctx, "CREATE TABLE "+table+
		" (id INT NOT NULL, s VARCHAR(100), b BLOB, n INT, d DATETIME) ENGINE=QUEUE")
	must("create", err)

	when := time.Date(2024, 2, 29, 13, 14, 15, 0, time.UTC)
	blob := []byte{0, 255, '\'', '\\', '"'}
	res, err := conn.ExecContext(ctx, "INSERT INTO "+table+" (id, s, b, n, d) VALUES (?, ?, ?, ?, ?)",
		int64(7), "it's \"q\" ✓", blob, nil, when)
	if must("insert", err) {
		affected, _ := res.RowsAffected()
		check("insert rows affected", affected == 1, affected)
	}

	stmt, err := conn.PrepareContext(ctx, "INSERT INTO "+table+" (id, s, b, n, d) VALUES (?, ?, ?, ?, ?)")
	if must("prepare insert", err) {
		for i := 0; i < 3; i++ {
			_, err = stmt.ExecContext(ctx, 100+i, fmt.Sprintf("row %d", i), []byte{byte(i)}, i, when)
			must(fmt.Sprintf("prepared insert %d", i), err)
		}
		stmt.Close()
	}

	var got int64
	err = conn.QueryRowContext(ctx, "SELECT queue_wait(?, ?)", table+":id=7", 5).Scan(&got)
	if must("queue_wait", err) {
		check("queue_wait is 1", got == 1, got)
	}
	var (
		id int64
		s  string
		b  []byte
		n  sql.NullInt64
		d  time.Time
	)
	err = conn.QueryRowContext(ctx, "SELECT id, s, b, n, d FROM "+table).Scan(&id, &s, &b, &n, &d)
	if must("select owned row", err) {
		check("int", id == 7, id)
		check("string", s == "it's \"q\" ✓", s)
		check("[]byte", bytes.Equal(b, blob), b)
		check("nil", !n.Valid, n)
		check("time.Time", d.Equal(when), d)
	}
	err = conn.QueryRowContext(ctx, "SELECT queue_end()").Scan(&got)
	if must("queue_end", err) {
		check("queue_end is 1", got == 1, got)
	}

	// A prepared SELECT with parameters of each kind, read back (named apart:
	// q4d's rows are keyed by column name, so two columns named "?" collide).
	var (
		ri int64
		rs string
		rb []byte
		rn sql.NullString
	)
	q, err := conn.PrepareContext(ctx, "SELECT ? + 1 AS i, CONCAT(?, '!') AS s, ? AS b, ? AS n")
	if must("prepare select", err) {
		err = q.QueryRowContext(ctx, 41, "hi", []byte("x\x00y"), nil).Scan(&ri, &rs, &rb, &rn)
		if must("prepared select", err) {
			check("prepared int", ri == 42, ri)
			check("prepared string", rs == "hi!", rs)
			check("prepared bytes", bytes.Equal(rb, []byte("x\x00y")), rb)
			check("prepared nil", !rn.Valid, rn)
		}
		q.Close()
	}

	// The three prepared rows, consumed in order.
	rows, err := conn.QueryContext(ctx, "SELECT id FROM "+table+" ORDER BY id")
	if must("select all", err) {
		var ids []int64
		for rows.Next() {
			var v int64
			rows.Scan(&v)
			ids = append(ids, v)
		}
		rows.Close()
		check("three rows left", fmt.Sprint(ids) == "[100 101 102]", ids)
	}
	for i := 0; i < 3; i++ {
		err = conn.QueryRowContext(ctx, "SELECT queue_wait(?)", table).Scan(&got)
		if must("queue_wait loop", err) {
			conn.QueryRowContext(ctx, "SELECT id FROM "+table).Scan(&id)
			check("loop row", id == int64(100+i), id)
			conn.ExecContext(ctx, "SELECT queue_end()")
		}
	}
	err = conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&got)
	if must("count", err) {
		check("empty", got == 0, got)
	}

	// Errors carry MySQL's number.
	_, err = conn.ExecContext(ctx, "SELECT * FROM no_such_table")
	var myErr *mysql.MySQLError
	check("error 1146", errors.As(err, &myErr) && myErr.Number == 1146, err)
	_, err = conn.ExecContext(ctx, "INSERT INTO "+table+" (id) VALUES (?)", nil)
	check("error 1048", errors.As(err, &myErr) && myErr.Number == 1048, err)
	_, err = conn.ExecContext(ctx, "SELECT queue_end()")
	check("no error after queue_end outside owner mode", err == nil, err)
}
