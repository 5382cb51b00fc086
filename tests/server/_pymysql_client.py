"""PyMySQL against a q4d server: prints one JSON line of what it saw.

Run by tests/server/pymysql_test.ts as: python3 _pymysql_client.py PORT PASSWORD
"""
import json
import sys

import pymysql

port, password = int(sys.argv[1]), sys.argv[2]
out = {}
c = pymysql.connect(host="127.0.0.1", port=port, user="root", password=password,
                    database="q4d", autocommit=True)
cur = c.cursor()
cur.execute("CREATE TABLE jobs (id INT NOT NULL, body TEXT, b BLOB) ENGINE=QUEUE")
cur.execute("INSERT INTO jobs VALUES (%s, %s, %s)", (1, "it's \"quoted\" \u2713", b"\x00\xff'"))
out["insert"] = [cur.rowcount, cur.lastrowid]
cur.execute("SELECT queue_wait('jobs', 5)")
out["wait"] = cur.fetchall()[0][0]
cur.execute("SELECT * FROM jobs")
row = cur.fetchall()[0]
out["row"] = [row[0], row[1], list(row[2])]
cur.execute("SELECT queue_end()")
out["end"] = cur.fetchall()[0][0]
try:
    cur.execute("SELECT * FROM nope")
except pymysql.err.ProgrammingError as e:
    out["error"] = e.args[0]
c.ping()
c.close()
try:
    pymysql.connect(host="127.0.0.1", port=port, user="root", password="bad")
except pymysql.err.OperationalError as e:
    out["denied"] = e.args[0]
print(json.dumps(out))
