package cdc

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/internal/pgtest"
)

func TestBadConfigFailsStartWithAClearMessage(t *testing.T) {
	db := pgtest.New(t)
	db.Exec(t, `CREATE TABLE present (id int PRIMARY KEY)`)
	db.Exec(t, `DO $$ BEGIN
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'runnel_norepl') THEN
			CREATE ROLE runnel_norepl LOGIN PASSWORD 'norepl';
		END IF; END $$`)
	h := newHarness(t, db, nil)

	cases := []struct {
		name  string
		props map[string]string
		want  []string // substrings of the error
	}{
		{"unreachable server", map[string]string{keyHostname: "127.0.0.1", keyPort: "1", keyConnectTimeout: "2000"}, []string{"database.hostname", "database.port", "127.0.0.1:1"}},
		{"wrong password", map[string]string{keyPassword: "wrong"}, []string{"database.user and database.password"}},
		{"missing database", map[string]string{keyDBName: "no_such_db_x"}, []string{`"no_such_db_x" does not exist`, "database.dbname"}},
		{"missing table", map[string]string{keyTableInclude: "public.present,public.absent"}, []string{"table.include.list", "public.absent", "matches no table"}},
		{"other plugin", map[string]string{keyPluginName: "decoderbufs"}, []string{"plugin.name", "pgoutput"}},
		{"several tasks", map[string]string{keyTasksMax: "2"}, []string{"tasks.max", "exactly one task"}},
		{"no replication permission", map[string]string{keyUser: "runnel_norepl", keyPassword: "norepl"}, []string{"REPLICATION", "runnel_norepl", "ALTER ROLE"}},
		{"publication required but absent", map[string]string{keyPublicationMode: pubDisabled}, []string{"publication", "does not exist", "publication.autocreate.mode"}},
		{"bad regex", map[string]string{keyTableInclude: "public.(x"}, []string{"table.include.list", "regular expression"}},
		{"missing prefix", map[string]string{keyTopicPrefix: ""}, []string{"topic.prefix"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			props := maps.Clone(h.props)
			for k, v := range tc.props {
				if v == "" {
					delete(props, k)
				} else {
					props[k] = v
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			task := NewTask()
			err := task.Start(ctx, &fakeTaskContext{offsets: &memOffsets{}, log: testLogger}, props)
			if err == nil {
				task.Stop()
				t.Fatalf("task started; want an error mentioning %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("task error %q does not mention %q", err, w)
				}
			}
			// The connector fails the same way at Start, before any task.
			if err := NewConnector().Start(ctx, nil, props); err == nil {
				t.Errorf("connector started")
			}
		})
	}
	// Nothing the failed starts did may leave a slot behind.
	var n int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1`, h.slot).Scan(&n); err != nil || n != 0 {
		t.Errorf("failed starts left %d slots (%v)", n, err)
	}
}

func TestValidateAttachesServerErrorsToKeys(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.db.Exec(t, `CREATE TABLE present (id int PRIMARY KEY)`)
	props := maps.Clone(h.props)
	props[keyTableInclude] = "public.absent"
	found := false
	for _, v := range NewConnector().Validate(props) {
		if v.Name == keyTableInclude && len(v.Errors) == 1 && strings.Contains(v.Errors[0], "matches no table") {
			found = true
		} else if len(v.Errors) > 0 {
			t.Errorf("unexpected error on %s: %v", v.Name, v.Errors)
		}
	}
	if !found {
		t.Errorf("Validate did not report the missing table on %s", keyTableInclude)
	}
	props[keyTableInclude] = "public.present"
	for _, v := range NewConnector().Validate(props) {
		if len(v.Errors) > 0 {
			t.Errorf("valid config: error on %s: %v", v.Name, v.Errors)
		}
	}
}

func TestServerProblems(t *testing.T) {
	c := &config{host: "db", port: 5432, dbname: "app", user: "u"}
	if err := serverProblem(c, "replica", "150000", true); err == nil || !strings.Contains(err.Error(), "wal_level=logical") || !strings.Contains(err.Error(), "restart") {
		t.Errorf("wal_level=replica: %v", err)
	}
	if err := serverProblem(c, "logical", "90600", true); err == nil || !strings.Contains(err.Error(), "PostgreSQL 10") {
		t.Errorf("9.6: %v", err)
	}
	if err := serverProblem(c, "logical", "150000", false); err == nil || !strings.Contains(err.Error(), "REPLICATION") {
		t.Errorf("no replication: %v", err)
	}
	if err := serverProblem(c, "logical", "150000", true); err != nil {
		t.Errorf("good server: %v", err)
	}
}

func TestExistingSlotOfAnotherPluginIsRejected(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.db.Exec(t, `SELECT pg_create_logical_replication_slot($1, 'test_decoding')`, h.slot)
	err := h.start()
	if err == nil || !strings.Contains(err.Error(), "test_decoding") || !strings.Contains(err.Error(), "slot.name") {
		t.Fatalf("Start with a test_decoding slot: %v", err)
	}
}
