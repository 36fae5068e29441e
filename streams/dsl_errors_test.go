package streams_test

import (
	"testing"

	"github.com/runnel-dev/runnel/streams"
	"github.com/runnel-dev/runnel/topology/serde"
)

type order struct{ ID string }

// Mistakes fail Build with a message naming the operation.
func TestBuildErrors(t *testing.T) {
	t.Run("nil function", func(t *testing.T) {
		b := streams.NewBuilder()
		s := streams.Stream(b, []string{"in"}, strings2)
		s.Filter(nil)
		streams.MapValues[string, string, int64](s, nil)
		wantBuildError(t, b, "filter: the function is nil", "mapValues: the function is nil")
	})
	t.Run("missing serde", func(t *testing.T) {
		b := streams.NewBuilder()
		s := streams.Stream(b, []string{"orders"}, streams.Consumed[string, order]{KeySerde: serde.String()})
		s.To("out")
		wantBuildError(t, b, "stream([orders]): no value serde for type streams_test.order", "streams.DefaultSerde")
	})
	t.Run("default serde by type", func(t *testing.T) {
		b := streams.NewBuilder()
		streams.DefaultSerde(b, serde.JSON[order]())
		streams.Stream(b, []string{"orders"}, streams.Consumed[string, order]{}).GroupByKey().Count()
		if _, err := b.Build(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("serde for a re-keyed stream", func(t *testing.T) {
		b := streams.NewBuilder()
		s := streams.Stream(b, []string{"in"}, strings2)
		streams.GroupBy(s, func(_, v string) order { return order{v} }).Count()
		wantBuildError(t, b, "count: no repartition key serde for type streams_test.order")
	})
	t.Run("option of the wrong types", func(t *testing.T) {
		b := streams.NewBuilder()
		streams.Stream(b, []string{"in"}, strings2).GroupByKey().Count(streams.Materialized[string, string]{StoreName: "x"})
		wantBuildError(t, b, "count: option streams.Materialized[string,string] does not apply", "streams.Materialized[string,int64]")
	})
	t.Run("option given twice", func(t *testing.T) {
		b := streams.NewBuilder()
		streams.Stream(b, []string{"in"}, strings2).Filter(func(_, _ string) bool { return true }, streams.Named("a"), streams.Named("b"))
		wantBuildError(t, b, "filter: streams.Named is given more than once")
	})
	t.Run("bad name", func(t *testing.T) {
		b := streams.NewBuilder()
		streams.Stream(b, []string{"in"}, strings2).Peek(func(_, _ string) {}, streams.Named("no spaces please"))
		wantBuildError(t, b, `peek: name "no spaces please" contains a character other than`)
	})
	t.Run("duplicate name", func(t *testing.T) {
		b := streams.NewBuilder()
		s := streams.Stream(b, []string{"in"}, strings2)
		s.Peek(func(_, _ string) {}, streams.Named("p"))
		s.Peek(func(_, _ string) {}, streams.Named("p"))
		wantBuildError(t, b, `"p": the name is already used`)
	})
	t.Run("overlapping sources", func(t *testing.T) {
		b := streams.NewBuilder()
		streams.Stream(b, []string{"a", "b"}, strings2)
		streams.Stream(b, []string{"b"}, strings2)
		wantBuildError(t, b, "stream([b]): source \"KSTREAM-SOURCE-0000000000\" reads [a b]")
	})
	t.Run("co-partitioning", func(t *testing.T) {
		b := streams.NewBuilder()
		s := streams.Stream(b, []string{"s"}, strings2).Repartition(streams.Repartitioned[string, string]{Name: "left", NumPartitions: 3})
		tbl := streams.Stream(b, []string{"t"}, strings2).Repartition(streams.Repartitioned[string, string]{Name: "right", NumPartitions: 2}).ToTable()
		streams.Join(s, tbl, func(a, b string) string { return a + b })
		wantBuildError(t, b, "join: the joined inputs must be co-partitioned", "left-repartition (3)", "right-repartition (2)")
	})
	t.Run("built twice", func(t *testing.T) {
		b := streams.NewBuilder()
		streams.Stream(b, []string{"in"}, strings2).To("out")
		if _, err := b.Build(); err != nil {
			t.Fatal(err)
		}
		wantBuildError(t, b, "Build was already called")
	})
}
