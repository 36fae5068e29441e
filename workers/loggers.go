package workers

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
)

// RootLogger is the name of the root logger in /admin/loggers.
const RootLogger = "root"

// Log4j level names mapped to slog levels.
var logLevels = map[string]slog.Level{
	"TRACE": slog.LevelDebug - 4,
	"DEBUG": slog.LevelDebug,
	"INFO":  slog.LevelInfo,
	"WARN":  slog.LevelWarn,
	"ERROR": slog.LevelError,
	"FATAL": slog.LevelError + 4,
	"OFF":   slog.LevelError + 100,
	"ALL":   slog.LevelDebug - 100,
}

// ParseLogLevel parses a log4j level name (any case).
func ParseLogLevel(s string) (slog.Level, bool) {
	l, ok := logLevels[strings.ToUpper(strings.TrimSpace(s))]
	return l, ok
}

func levelName(l slog.Level) string {
	best, bestLevel := "INFO", slog.Level(0)
	first := true
	for name, v := range logLevels {
		if name == "ALL" {
			continue
		}
		if v == l {
			return name
		}
		if v <= l && (first || v > bestLevel) {
			best, bestLevel, first = name, v, false
		}
	}
	return best
}

// Loggers is a set of named slog loggers whose levels can be changed at run
// time, backing the /admin/loggers endpoints. Names are dotted namespaces;
// setting a level on "a.b" changes "a.b" and every "a.b.*" logger.
type Loggers struct {
	base slog.Handler
	mu   sync.Mutex
	vars map[string]*loggerState
	root *loggerState
}

type loggerState struct {
	level    slog.LevelVar
	explicit bool
	modified *int64
}

// NewLoggers builds loggers writing to base (whose own level should be the
// lowest that may ever be wanted) with the root level rootLevel.
func NewLoggers(base slog.Handler, rootLevel slog.Level) *Loggers {
	l := &Loggers{base: base, vars: map[string]*loggerState{}, root: &loggerState{explicit: true}}
	l.root.level.Set(rootLevel)
	return l
}

// Logger returns the logger for name, creating it at its parent's level.
func (l *Loggers) Logger(name string) *slog.Logger {
	l.mu.Lock()
	st := l.state(name)
	l.mu.Unlock()
	return slog.New(&levelHandler{inner: l.base, level: &st.level}).With("logger", name)
}

// state returns (creating) the state of name; l.mu must be held.
func (l *Loggers) state(name string) *loggerState {
	if name == RootLogger || name == "" {
		return l.root
	}
	if st, ok := l.vars[name]; ok {
		return st
	}
	st := &loggerState{}
	st.level.Set(l.inherited(name))
	l.vars[name] = st
	return st
}

// inherited is the level of name's closest explicitly set ancestor.
func (l *Loggers) inherited(name string) slog.Level {
	for n := name; ; {
		i := strings.LastIndexByte(n, '.')
		if i < 0 {
			return l.root.level.Level()
		}
		n = n[:i]
		if st, ok := l.vars[n]; ok && st.explicit {
			return st.level.Level()
		}
	}
}

// Levels lists loggers with an explicitly set level, and root.
func (l *Loggers) Levels() map[string]LoggerLevel {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]LoggerLevel{RootLogger: {Level: levelName(l.root.level.Level()), LastModified: l.root.modified}}
	for name, st := range l.vars {
		if st.explicit {
			out[name] = LoggerLevel{Level: levelName(st.level.Level()), LastModified: st.modified}
		}
	}
	return out
}

// Level returns one logger's level; false if no such logger exists.
func (l *Loggers) Level(name string) (LoggerLevel, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if strings.EqualFold(name, RootLogger) {
		return LoggerLevel{Level: levelName(l.root.level.Level()), LastModified: l.root.modified}, true
	}
	st, ok := l.vars[name]
	if !ok {
		return LoggerLevel{}, false
	}
	return LoggerLevel{Level: levelName(st.level.Level()), LastModified: st.modified}, true
}

// SetLevel sets the level of namespace and its descendants and returns the
// affected logger names, sorted. Setting root changes every logger.
func (l *Loggers) SetLevel(namespace string, level slog.Level) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now().UnixMilli()
	var affected []string
	set := func(name string, st *loggerState) {
		st.level.Set(level)
		st.explicit = true
		st.modified = &now
		affected = append(affected, name)
	}
	if strings.EqualFold(namespace, RootLogger) {
		set(RootLogger, l.root)
		for name, st := range l.vars {
			set(name, st)
		}
	} else {
		l.state(namespace)
		for name, st := range l.vars {
			if name == namespace || strings.HasPrefix(name, namespace+".") {
				set(name, st)
			}
		}
	}
	sort.Strings(affected)
	return affected
}

// levelHandler filters records below a changeable level.
type levelHandler struct {
	inner slog.Handler
	level *slog.LevelVar
}

func (h *levelHandler) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= h.level.Level() && h.inner.Enabled(ctx, lv)
}

func (h *levelHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.inner.Handle(ctx, r)
}

func (h *levelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &levelHandler{inner: h.inner.WithAttrs(attrs), level: h.level}
}

func (h *levelHandler) WithGroup(name string) slog.Handler {
	return &levelHandler{inner: h.inner.WithGroup(name), level: h.level}
}
