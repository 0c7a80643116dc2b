// The scenarios with sarama (Go), Debian's golang-github-shopify-sarama-dev
// built in GOPATH mode. Run as `sarama-driver <scenario> <bootstrap>`: exit 0
// when the scenario passed, else one "FAIL: <reason>" line on stderr, exit 1.
package main

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

var brokers []string

func config() *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "compat-sarama"
	c.Version = sarama.V2_1_0_0 // the newest protocol this sarama knows well enough for zstd and headers
	c.Net.DialTimeout = 5 * time.Second
	c.Net.ReadTimeout = 10 * time.Second
	c.Metadata.Retry.Backoff = 100 * time.Millisecond
	c.Producer.Return.Successes = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Retry.Backoff = 100 * time.Millisecond
	c.Consumer.Return.Errors = true
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Group.Session.Timeout = 6 * time.Second
	c.Consumer.Group.Heartbeat.Interval = 300 * time.Millisecond
	c.Consumer.Group.Rebalance.Timeout = 6 * time.Second
	c.Consumer.MaxWaitTime = 100 * time.Millisecond
	return c
}

func must(err error, what string) {
	if err != nil {
		panic(fmt.Errorf("%s: %v", what, err))
	}
}

func checkEqual(actual, expected interface{}, what string) {
	if !reflect.DeepEqual(actual, expected) {
		panic(fmt.Errorf("%s: expected %v, got %v", what, expected, actual))
	}
}

func waitFor(what string, probe func() bool) {
	waitWithin(what, probe, 20*time.Second)
}

// takeover: the two members left must cover the partitions within this,
// before the leaver's 6 s session would expire (so by its LeaveGroup).
const takeover = 5 * time.Second

func waitWithin(what string, probe func() bool, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for !probe() {
		if time.Now().After(deadline) {
			panic(fmt.Errorf("timed out waiting for %s", what))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func admin() sarama.ClusterAdmin {
	a, err := sarama.NewClusterAdmin(brokers, config())
	must(err, "NewClusterAdmin")
	return a
}

func createTopic(name string, partitions int32, configs map[string]*string) {
	a := admin()
	defer a.Close()
	must(a.CreateTopic(name, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1, ConfigEntries: configs}, false), "CreateTopic "+name)
}

func produce(msgs []*sarama.ProducerMessage, tune func(*sarama.Config)) {
	c := config()
	if tune != nil {
		tune(c)
	}
	p, err := sarama.NewSyncProducer(brokers, c)
	must(err, "NewSyncProducer")
	defer p.Close()
	must(p.SendMessages(msgs), "SendMessages")
}

type record struct {
	partition int32
	offset    int64
	key       string
	value     string
	headers   map[string]string
}

// readAll reads partitions 0..n-1 from the oldest offset until done says so.
func readAll(topic string, partitions int32, done func([]record) bool) []record {
	consumer, err := sarama.NewConsumer(brokers, config())
	must(err, "NewConsumer")
	defer consumer.Close()
	var mu sync.Mutex
	var out []record
	for p := int32(0); p < partitions; p++ {
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		must(err, "ConsumePartition")
		defer pc.Close()
		go func(pc sarama.PartitionConsumer) {
			for m := range pc.Messages() {
				h := map[string]string{}
				for _, x := range m.Headers {
					h[string(x.Key)] = string(x.Value)
				}
				mu.Lock()
				out = append(out, record{m.Partition, m.Offset, string(m.Key), string(m.Value), h})
				mu.Unlock()
			}
		}(pc)
	}
	waitFor("records of "+topic, func() bool { mu.Lock(); defer mu.Unlock(); return done(out) })
	mu.Lock()
	defer mu.Unlock()
	return append([]record(nil), out...)
}

func values(rs []record) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.value)
	}
	return out
}

func compressible() []string {
	out := []string{}
	for i := 0; i < 20; i++ {
		out = append(out, fmt.Sprintf("value-%d-%s", i, strings.Repeat("abcdefgh", 16)))
	}
	return out
}

func baseTimestamp() int64 {
	return (time.Now().UnixNano()/1e6 - 60000) / 1000 * 1000
}

// groupHandler records the partitions of each session and optionally reads.
type groupHandler struct {
	mu       sync.Mutex
	assigned []int32
	onClaim  func(sarama.ConsumerGroupSession, sarama.ConsumerGroupClaim) error
}

func (h *groupHandler) Setup(s sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.assigned = append([]int32(nil), s.Claims()["grp"]...)
	if ps, ok := s.Claims()["cr"]; ok {
		h.assigned = append([]int32(nil), ps...)
	}
	sort.Slice(h.assigned, func(i, j int) bool { return h.assigned[i] < h.assigned[j] })
	return nil
}
func (h *groupHandler) Cleanup(sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.assigned = nil
	return nil
}
func (h *groupHandler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	if h.onClaim != nil {
		return h.onClaim(s, c)
	}
	for range c.Messages() {
	}
	return nil
}
func (h *groupHandler) get() []int32 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]int32(nil), h.assigned...)
}

type member struct {
	group   sarama.ConsumerGroup
	handler *groupHandler
	cancel  context.CancelFunc
	done    chan struct{}
}

func startMember(groupID, topic string, onClaim func(sarama.ConsumerGroupSession, sarama.ConsumerGroupClaim) error) *member {
	g, err := sarama.NewConsumerGroup(brokers, groupID, config())
	must(err, "NewConsumerGroup")
	ctx, cancel := context.WithCancel(context.Background())
	m := &member{g, &groupHandler{onClaim: onClaim}, cancel, make(chan struct{})}
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, m.handler); err != nil {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	return m
}

func (m *member) stop() {
	m.cancel()
	m.group.Close()
	<-m.done
}

func coversOnce(assignments [][]int32) bool {
	all := []int{}
	for _, a := range assignments {
		if len(a) == 0 {
			return false
		}
		for _, p := range a {
			all = append(all, int(p))
		}
	}
	sort.Ints(all)
	if len(all) != 6 {
		return false
	}
	for i, p := range all {
		if p != i {
			return false
		}
	}
	return true
}

var scenarios = map[string]func(){
	"metadata-admin": func() {
		createTopic("admin-t", 3, nil)
		a := admin()
		defer a.Close()
		md, err := a.DescribeTopics([]string{"admin-t"})
		must(err, "DescribeTopics")
		checkEqual(len(md), 1, "topics described")
		checkEqual(len(md[0].Partitions), 3, "partitions of admin-t")
		for _, p := range md[0].Partitions {
			if p.Leader < 0 {
				panic(fmt.Errorf("partition %d has no leader", p.ID))
			}
		}
		topics, err := a.ListTopics()
		must(err, "ListTopics")
		if _, ok := topics["admin-t"]; !ok {
			panic(fmt.Errorf("ListTopics does not include admin-t"))
		}
		must(a.DeleteTopic("admin-t"), "DeleteTopic")
		waitFor("admin-t to disappear", func() bool {
			topics, err := a.ListTopics()
			_, ok := topics["admin-t"]
			return err == nil && !ok
		})
	},

	"produce-consume": func() {
		createTopic("pc", 3, nil)
		msgs := []*sarama.ProducerMessage{}
		for i := 0; i < 30; i++ {
			msgs = append(msgs, &sarama.ProducerMessage{Topic: "pc", Key: sarama.StringEncoder(fmt.Sprintf("k%d", i%5)), Value: sarama.StringEncoder(fmt.Sprintf("v%d", i)),
				Headers: []sarama.RecordHeader{{Key: []byte("h"), Value: []byte(fmt.Sprint(i))}}})
		}
		produce(msgs, nil)
		rs := readAll("pc", 3, func(rs []record) bool { return len(rs) >= 30 })
		checkEqual(len(rs), 30, "records read back")
		sort.Slice(rs, func(i, j int) bool {
			return rs[i].partition < rs[j].partition || rs[i].partition == rs[j].partition && rs[i].offset < rs[j].offset
		})
		partitionOf := map[string]int32{}
		byKey := map[string][]string{}
		for _, r := range rs {
			var i int
			fmt.Sscanf(r.value, "v%d", &i)
			checkEqual(r.key, fmt.Sprintf("k%d", i%5), "key of "+r.value)
			checkEqual(r.headers["h"], fmt.Sprint(i), "header h of "+r.value)
			if p, ok := partitionOf[r.key]; ok && p != r.partition {
				panic(fmt.Errorf("key %s on partitions %d and %d", r.key, p, r.partition))
			}
			partitionOf[r.key] = r.partition
			byKey[r.key] = append(byKey[r.key], r.value)
		}
		for k, vs := range byKey {
			expected := []string{}
			for i := 0; i < 30; i++ {
				if fmt.Sprintf("k%d", i%5) == k {
					expected = append(expected, fmt.Sprintf("v%d", i))
				}
			}
			checkEqual(vs, expected, "values of key "+k+" in partition order")
		}
	},

	"consumer-group": func() {
		createTopic("grp", 6, nil)
		members := []*member{}
		for i := 0; i < 3; i++ {
			members = append(members, startMember("g-grp", "grp", nil))
		}
		defer func() {
			for _, m := range members {
				m.stop()
			}
		}()
		assigned := func() [][]int32 {
			out := [][]int32{}
			for _, m := range members {
				out = append(out, m.handler.get())
			}
			return out
		}
		waitFor("three members covering 6 partitions once", func() bool { return coversOnce(assigned()) })
		leaver := members[0]
		members = members[1:]
		leaver.stop()
		waitWithin("two members covering 6 partitions once, within the leaver's session timeout (so by LeaveGroup)", func() bool { return coversOnce(assigned()) }, takeover)
	},

	"commit-resume": func() {
		createTopic("cr", 1, nil)
		msgs := []*sarama.ProducerMessage{}
		for i := 0; i < 10; i++ {
			msgs = append(msgs, &sarama.ProducerMessage{Topic: "cr", Value: sarama.StringEncoder(fmt.Sprintf("m%d", i))})
		}
		produce(msgs, nil)
		var mu sync.Mutex
		seen := 0
		committed := false
		first := startMember("g-cr", "cr", func(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
			for range c.Messages() {
				mu.Lock()
				seen++
				if seen == 10 {
					s.MarkOffset("cr", 0, 5, "")
					committed = true
				}
				mu.Unlock()
			}
			return nil
		})
		waitFor("10 records", func() bool { mu.Lock(); defer mu.Unlock(); return committed })
		first.stop() // commits the marked offset as the session ends
		var offsets []int64
		second := startMember("g-cr", "cr", func(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
			for m := range c.Messages() {
				mu.Lock()
				offsets = append(offsets, m.Offset)
				mu.Unlock()
			}
			return nil
		})
		defer second.stop()
		waitFor("the resumed member to read", func() bool { mu.Lock(); defer mu.Unlock(); return len(offsets) > 0 })
		mu.Lock()
		defer mu.Unlock()
		checkEqual(offsets[0], int64(5), "first offset after resume")
	},

	"idempotent-produce": func() {
		createTopic("idem", 1, nil)
		msgs := []*sarama.ProducerMessage{}
		expected := []string{}
		for i := 0; i < 10; i++ {
			expected = append(expected, fmt.Sprintf("i%d", i))
			msgs = append(msgs, &sarama.ProducerMessage{Topic: "idem", Value: sarama.StringEncoder(expected[i])})
		}
		produce(msgs, func(c *sarama.Config) {
			c.Producer.Idempotent = true
			c.Net.MaxOpenRequests = 1
		})
		checkEqual(values(readAll("idem", 1, func(rs []record) bool { return len(rs) >= 10 })), expected, "values read back")
	},

	"list-offsets-time": func() {
		createTopic("lot", 1, nil)
		t := baseTimestamp()
		msgs := []*sarama.ProducerMessage{}
		for i := int64(0); i < 3; i++ {
			msgs = append(msgs, &sarama.ProducerMessage{Topic: "lot", Value: sarama.StringEncoder(fmt.Sprintf("t%d", i)), Timestamp: time.Unix(0, (t+i*10000)*int64(time.Millisecond))})
		}
		produce(msgs, nil)
		client, err := sarama.NewClient(brokers, config())
		must(err, "NewClient")
		defer client.Close()
		for _, c := range []struct{ ts, expected int64 }{{t - 1000, 0}, {t + 5000, 1}, {t + 15000, 2}} {
			off, err := client.GetOffset("lot", 0, c.ts)
			must(err, "GetOffset")
			checkEqual(off, c.expected, fmt.Sprintf("offset for timestamp T%+dms", c.ts-t))
		}
	},

	"delete-records": func() {
		createTopic("dr", 1, nil)
		msgs := []*sarama.ProducerMessage{}
		for i := 0; i < 10; i++ {
			msgs = append(msgs, &sarama.ProducerMessage{Topic: "dr", Value: sarama.StringEncoder(fmt.Sprintf("d%d", i))})
		}
		produce(msgs, nil)
		a := admin()
		defer a.Close()
		must(a.DeleteRecords("dr", map[int32]int64{0: 4}), "DeleteRecords")
		client, err := sarama.NewClient(brokers, config())
		must(err, "NewClient")
		defer client.Close()
		low, err := client.GetOffset("dr", 0, sarama.OffsetOldest)
		must(err, "GetOffset oldest")
		checkEqual(low, int64(4), "earliest offset")
		rs := readAll("dr", 1, func(rs []record) bool { return len(rs) >= 6 })
		checkEqual(rs[0].offset, int64(4), "first offset read")
	},

	"configs": func() {
		v := "3600000"
		createTopic("cfg", 1, map[string]*string{"retention.ms": &v})
		a := admin()
		defer a.Close()
		describe := func() string {
			entries, err := a.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: "cfg", ConfigNames: []string{"retention.ms"}})
			must(err, "DescribeConfig")
			for _, e := range entries {
				if e.Name == "retention.ms" {
					return e.Value
				}
			}
			return "<missing>"
		}
		checkEqual(describe(), "3600000", "retention.ms after create")
		v2 := "7200000"
		must(a.AlterConfig(sarama.TopicResource, "cfg", map[string]*string{"retention.ms": &v2}, false), "AlterConfig")
		checkEqual(describe(), "7200000", "retention.ms after alter")
	},
}

func main() {
	for _, codec := range []struct {
		name  string
		codec sarama.CompressionCodec
	}{{"gzip", sarama.CompressionGZIP}, {"snappy", sarama.CompressionSnappy}, {"lz4", sarama.CompressionLZ4}, {"zstd", sarama.CompressionZSTD}} {
		codec := codec
		scenarios["compression-"+codec.name] = func() {
			topic := "comp-" + codec.name
			createTopic(topic, 1, nil)
			msgs := []*sarama.ProducerMessage{}
			for _, v := range compressible() {
				msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(v)})
			}
			produce(msgs, func(c *sarama.Config) { c.Producer.Compression = codec.codec; c.Producer.Flush.Frequency = 20 * time.Millisecond })
			checkEqual(values(readAll(topic, 1, func(rs []record) bool { return len(rs) >= 20 })), compressible(), "values read back")
		}
	}
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "FAIL: usage: sarama-driver <scenario> <bootstrap>")
		os.Exit(1)
	}
	run, ok := scenarios[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "FAIL: scenario %s is not implemented by this driver\n", os.Args[1])
		os.Exit(1)
	}
	brokers = []string{os.Args[2]}
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "FAIL: %v\n", r)
			os.Exit(1)
		}
	}()
	run()
}
