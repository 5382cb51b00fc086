// MariaDB Connector/J against a q4d server: prints one line per check and a
// closing "pass N fail M". Run by tests/server/jdbc_test.ts as:
//
//   java -cp mariadb-java-client.jar Client.java JDBC_URL TABLE

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

public class Client {
  static int pass = 0;
  static int fail = 0;

  static void check(String name, boolean ok, Object detail) {
    if (ok) {
      pass++;
      System.out.println("ok " + name);
    } else {
      fail++;
      System.out.println("FAIL " + name + " " + detail);
    }
  }

  static long one(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  public static void main(String[] args) {
    try {
      run(args[0], args[1]);
    } catch (Throwable e) {
      check("no exception", false, e);
      e.printStackTrace(System.out);
    }
    System.out.println("pass " + pass + " fail " + fail);
  }

  static void run(String url, String table) throws Exception {
    try (Connection c = DriverManager.getConnection(url)) {
      check("connect", true, null);
      check("valid", c.isValid(5), null);
      Statement st = c.createStatement();
      st.execute("CREATE TABLE " + table
          + " (id INT NOT NULL, s VARCHAR(100), b BLOB, n INT, d DATETIME) ENGINE=QUEUE");
      check("create", true, null);

      Timestamp when = Timestamp.valueOf("2024-02-29 13:14:15");
      byte[] blob = {0, (byte) 255, '\'', '\\', '"'};
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO " + table + " (id, s, b, n, d) VALUES (?, ?, ?, ?, ?)")) {
        ps.setInt(1, 7);
        ps.setString(2, "it's \"q\" \u2713");
        ps.setBytes(3, blob);
        ps.setNull(4, Types.INTEGER);
        ps.setTimestamp(5, when);
        check("insert", ps.executeUpdate() == 1, null);
        for (int i = 0; i < 3; i++) {
          ps.setLong(1, 100 + i);
          ps.setString(2, "row " + i);
          ps.setBytes(3, new byte[] {(byte) i});
          ps.setInt(4, i);
          ps.setTimestamp(5, when);
          check("prepared insert " + i, ps.executeUpdate() == 1, null);
        }
      }

      try (PreparedStatement ps = c.prepareStatement("SELECT queue_wait(?, ?)")) {
        ps.setString(1, table + ":id=7");
        ps.setInt(2, 5);
        try (ResultSet rs = ps.executeQuery()) {
          check("queue_wait", rs.next() && rs.getLong(1) == 1, null);
        }
      }
      try (ResultSet rs = st.executeQuery("SELECT id, s, b, n, d FROM " + table)) {
        check("owned row", rs.next(), null);
        check("int", rs.getInt("id") == 7, rs.getInt("id"));
        check("string", "it's \"q\" \u2713".equals(rs.getString("s")), rs.getString("s"));
        check("bytes", Arrays.equals(blob, rs.getBytes("b")), Arrays.toString(rs.getBytes("b")));
        rs.getInt("n");
        check("null", rs.wasNull(), null);
        check("timestamp", when.equals(rs.getTimestamp("d")), rs.getTimestamp("d"));
        check("one row", !rs.next(), null);
        ResultSetMetaData md = rs.getMetaData();
        check("metadata count", md.getColumnCount() == 5, md.getColumnCount());
        check("metadata names", "id".equals(md.getColumnName(1)) && "d".equals(md.getColumnLabel(5)),
            md.getColumnName(1));
        check("metadata id type", md.getColumnType(1) == Types.INTEGER, md.getColumnType(1));
        check("metadata s type", md.getColumnType(2) == Types.VARCHAR, md.getColumnType(2));
        check("metadata d type", md.getColumnType(5) == Types.TIMESTAMP, md.getColumnType(5));
        check("metadata not null", md.isNullable(1) == ResultSetMetaData.columnNoNulls,
            md.isNullable(1));
        check("metadata table", table.equals(md.getTableName(1)), md.getTableName(1));
      }
      check("queue_end", one(st, "SELECT queue_end()") == 1, null);

      // Metadata known at prepare time, before any execute (COM_STMT_PREPARE_OK's columns).
      try (PreparedStatement ps = c.prepareStatement("SELECT id, s FROM " + table + " WHERE id = ?")) {
        ResultSetMetaData md = ps.getMetaData();
        check("prepare metadata count", md != null && md.getColumnCount() == 2,
            md == null ? null : md.getColumnCount());
        check("prepare metadata id", md != null && md.getColumnType(1) == Types.INTEGER
            && "id".equals(md.getColumnName(1)), md == null ? null : md.getColumnType(1));
        check("prepare metadata table", md != null && table.equals(md.getTableName(1)),
            md == null ? null : md.getTableName(1));
        check("prepare parameter count", ps.getParameterMetaData().getParameterCount() == 1, null);
      }

      try (PreparedStatement ps = c.prepareStatement(
          "SELECT ? + 1 AS i, CONCAT(?, '!') AS s, ? AS b, ? AS n")) {
        ps.setInt(1, 41);
        ps.setString(2, "hi");
        ps.setBytes(3, "x\0y".getBytes("UTF-8"));
        ps.setNull(4, Types.VARCHAR);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          check("prepared int", rs.getLong(1) == 42, rs.getLong(1));
          check("prepared string", "hi!".equals(rs.getString(2)), rs.getString(2));
          check("prepared bytes", Arrays.equals("x\0y".getBytes("UTF-8"), rs.getBytes(3)),
              Arrays.toString(rs.getBytes(3)));
          check("prepared null", rs.getString(4) == null, rs.getString(4));
        }
      }

      List<Long> ids = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("SELECT id FROM " + table + " ORDER BY id")) {
        while (rs.next()) ids.add(rs.getLong(1));
      }
      check("three rows left", ids.equals(List.of(100L, 101L, 102L)), ids);
      for (int i = 0; i < 3; i++) {
        check("queue_wait loop", one(st, "SELECT queue_wait('" + table + "')") == 1, null);
        check("loop row", one(st, "SELECT id FROM " + table) == 100 + i, null);
        check("loop end", one(st, "SELECT queue_end()") == 1, null);
      }
      check("empty", one(st, "SELECT COUNT(*) FROM " + table) == 0, null);

      try {
        st.executeQuery("SELECT * FROM no_such_table");
        check("error 1146", false, "no exception");
      } catch (SQLException e) {
        check("error 1146", e.getErrorCode() == 1146, e.getErrorCode());
        check("sqlstate 42S02", "42S02".equals(e.getSQLState()), e.getSQLState());
      }
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO " + table + " (id) VALUES (?)")) {
        ps.setNull(1, Types.INTEGER);
        ps.executeUpdate();
        check("error 1048", false, "no exception");
      } catch (SQLException e) {
        check("error 1048", e.getErrorCode() == 1048, e.getErrorCode());
        check("sqlstate 23000", "23000".equals(e.getSQLState()), e.getSQLState());
      }
      check("still usable", one(st, "SELECT 1") == 1, null);
    }
  }
}
