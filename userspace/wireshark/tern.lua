-- SPDX-License-Identifier: GPL-2.0
--[[
Wireshark / tshark dissector for Tern (IP protocol 253, uapi/PROTOCOL.md).

README section (the text below is meant for the project's README):

  ### Wireshark

  userspace/wireshark/tern.lua decodes Tern in Wireshark and tshark (4.0
  or later): every header field, the checksum verified over the IPv4 or
  IPv6 pseudo-header, every option (END, NOP, MSS, SACK blocks, unknown
  kinds by kind and length, malformed lengths flagged), the payload, and
  TCP-style conversation tracking and sequence analysis: relative sequence
  numbers per stream (tern.stream), retransmissions, out-of-order
  segments, duplicate ACKs, zero windows, as expert infos and as fields
  tern.analysis.*. Load it for one run:

      tshark -X lua_script:userspace/wireshark/tern.lua -r capture.pcapng
      tshark -X lua_script:userspace/wireshark/tern.lua -r capture.pcapng \
          -Y 'tern.port == 5201 && tern.analysis.retransmission'
      wireshark -X lua_script:userspace/wireshark/tern.lua capture.pcapng

  or for good by copying it to ~/.local/lib/wireshark/plugins/. Capture
  with any tool: tshark -i eth0 -w capture.pcapng 'ip proto 253 or ip6
  proto 253' (or dumpcap, tcpdump). Fields: tern.srcport, tern.dstport,
  tern.port, tern.stream, tern.flags.{syn,ack,fin,rst,eor}, tern.seq and
  tern.ack (relative; tern.seq_raw, tern.ack_raw as sent), tern.nxtseq,
  tern.len, tern.window, tern.checksum.status (0 bad, 1 good, 2
  unverified), tern.options.mss_val, tern.options.sack.{le,re},
  tern.analysis.{retransmission,fast_retransmission,out_of_order,
  duplicate_ack,zero_window,...}. selftests/dissector_test.sh checks it
  against a lossy transfer.

Design notes. Wireshark 4.0's Lua API has no conversation table, so the
streams and per-direction state live here, rebuilt by the init routine
for each capture; what the analysis finds for a frame is kept by frame
number, so later passes (the GUI, tshark -2) show the same. The analysis
follows Wireshark's TCP dissector (packet-tcp.c, tcp_analyze_sequence_
number()): a segment that starts below the highest sequence number seen
is a retransmission, or out of order when it comes soon after that
highest one and fills a hole not seen before; Tern's sequence numbers are
64 bits and never wrap within a connection (PROTOCOL.md), so no
wrap-around handling is needed beyond plain 64-bit arithmetic.
--]]

local tern = Proto("tern", "Tern Protocol")

local FLAG_SYN, FLAG_ACK, FLAG_FIN, FLAG_RST, FLAG_EOR = 0x01, 0x02, 0x04, 0x08, 0x10
local HDR_LEN = 32
local OPT_END, OPT_NOP, OPT_MSS, OPT_SACK = 0, 1, 2, 3
local IPPROTO_TERN = 253
local band, bor = bit32.band, bit32.bor
local function has(flags, mask) return band(flags, mask) ~= 0 end
-- out-of-order rather than retransmitted when a hole is filled this soon
-- after the segment that made it (seconds; packet-tcp.c uses the RTT and
-- 3 ms without one)
local OOO_THRESHOLD = 0.003

local checksum_status = { [0] = "Bad", [1] = "Good", [2] = "Unverified" }
local option_kinds = { [OPT_END] = "End of Option List", [OPT_NOP] = "No-Operation",
	[OPT_MSS] = "Maximum segment size", [OPT_SACK] = "SACK" }

local f = {
	srcport = ProtoField.uint16("tern.srcport", "Source Port", base.DEC),
	dstport = ProtoField.uint16("tern.dstport", "Destination Port", base.DEC),
	port = ProtoField.uint16("tern.port", "Source or Destination Port", base.DEC),
	stream = ProtoField.uint32("tern.stream", "Stream index", base.DEC),
	len = ProtoField.uint32("tern.len", "Tern Segment Len", base.DEC),
	seq = ProtoField.uint64("tern.seq", "Sequence Number", base.DEC),
	seq_raw = ProtoField.uint64("tern.seq_raw", "Sequence Number (raw)", base.DEC),
	nxtseq = ProtoField.uint64("tern.nxtseq", "Next Sequence Number", base.DEC),
	ack = ProtoField.uint64("tern.ack", "Acknowledgment Number", base.DEC),
	ack_raw = ProtoField.uint64("tern.ack_raw", "Acknowledgment number (raw)", base.DEC),
	doff = ProtoField.uint8("tern.doff", "Data Offset (32-bit words)", base.DEC),
	hdr_len = ProtoField.uint16("tern.hdr_len", "Header Length", base.DEC),
	flags = ProtoField.uint8("tern.flags", "Flags", base.HEX),
	flag_res = ProtoField.uint8("tern.flags.res", "Reserved", base.HEX, nil, 0xe0),
	flag_eor = ProtoField.bool("tern.flags.eor", "End of Record", 8, nil, FLAG_EOR),
	flag_rst = ProtoField.bool("tern.flags.rst", "Reset", 8, nil, FLAG_RST),
	flag_fin = ProtoField.bool("tern.flags.fin", "Fin", 8, nil, FLAG_FIN),
	flag_ack = ProtoField.bool("tern.flags.ack", "Acknowledgment", 8, nil, FLAG_ACK),
	flag_syn = ProtoField.bool("tern.flags.syn", "Syn", 8, nil, FLAG_SYN),
	flags_str = ProtoField.string("tern.flags.str", "Tern Flags"),
	checksum = ProtoField.uint16("tern.checksum", "Checksum", base.HEX),
	checksum_calc = ProtoField.uint16("tern.checksum_calculated", "Calculated Checksum", base.HEX),
	checksum_status = ProtoField.uint8("tern.checksum.status", "Checksum Status", base.DEC,
		checksum_status),
	window = ProtoField.uint32("tern.window", "Window", base.DEC),
	version = ProtoField.uint8("tern.version", "Version", base.DEC),
	reserved = ProtoField.uint24("tern.reserved", "Reserved", base.HEX),
	options = ProtoField.bytes("tern.options", "Options"),
	option_kind = ProtoField.uint8("tern.option_kind", "Kind", base.DEC, option_kinds),
	option_len = ProtoField.uint8("tern.option_len", "Length", base.DEC),
	option_data = ProtoField.bytes("tern.option_data", "Data"),
	opt_end = ProtoField.none("tern.options.end", "End of Option List (END)"),
	opt_nop = ProtoField.none("tern.options.nop", "No-Operation (NOP)"),
	opt_mss = ProtoField.none("tern.options.mss", "Maximum segment size"),
	opt_mss_val = ProtoField.uint16("tern.options.mss_val", "MSS Value", base.DEC),
	opt_sack = ProtoField.none("tern.options.sack", "SACK"),
	opt_sack_count = ProtoField.uint8("tern.options.sack.count", "Number of SACK blocks", base.DEC),
	opt_sack_le = ProtoField.uint64("tern.options.sack_le", "left edge", base.DEC),
	opt_sack_re = ProtoField.uint64("tern.options.sack_re", "right edge", base.DEC),
	opt_sack_le_raw = ProtoField.uint64("tern.options.sack_le_raw", "left edge (raw)", base.DEC),
	opt_sack_re_raw = ProtoField.uint64("tern.options.sack_re_raw", "right edge (raw)", base.DEC),
	opt_unknown = ProtoField.none("tern.options.unknown", "Unknown option"),
	payload = ProtoField.bytes("tern.payload", "Tern payload"),
	analysis = ProtoField.none("tern.analysis", "SEQ/ACK analysis"),
	acks_frame = ProtoField.framenum("tern.analysis.acks_frame", "This is an ACK to the segment in frame",
		base.NONE, frametype.ACK),
	ack_rtt = ProtoField.relative_time("tern.analysis.ack_rtt", "The RTT to ACK the segment was"),
	bytes_in_flight = ProtoField.uint64("tern.analysis.bytes_in_flight", "Bytes in flight", base.DEC),
	dup_ack_num = ProtoField.uint32("tern.analysis.duplicate_ack_num", "Duplicate ACK #", base.DEC),
	dup_ack_frame = ProtoField.framenum("tern.analysis.duplicate_ack_frame", "Duplicate to the ACK in frame",
		base.NONE, frametype.DUP_ACK),
	retrans_frame = ProtoField.framenum("tern.analysis.retransmitted_frame",
		"This frame is a (suspected) retransmission of frame", base.NONE, frametype.RETRANS_PREV),
}
tern.fields = {}
for _, v in pairs(f) do table.insert(tern.fields, v) end

local e = {
	checksum_bad = ProtoExpert.new("tern.checksum.bad", "Bad checksum",
		expert.group.CHECKSUM, expert.severity.ERROR),
	hdr_short = ProtoExpert.new("tern.hdr.short", "Segment shorter than the 32-byte header",
		expert.group.MALFORMED, expert.severity.ERROR),
	doff_bad = ProtoExpert.new("tern.doff.bad", "Bad data offset",
		expert.group.MALFORMED, expert.severity.ERROR),
	version_bad = ProtoExpert.new("tern.version.bad", "Unknown version (receivers drop it)",
		expert.group.PROTOCOL, expert.severity.WARN),
	port_zero = ProtoExpert.new("tern.port.zero", "Port 0 is invalid",
		expert.group.PROTOCOL, expert.severity.WARN),
	reserved_nonzero = ProtoExpert.new("tern.reserved.nonzero", "Reserved bits are not zero",
		expert.group.PROTOCOL, expert.severity.NOTE),
	option_len_bad = ProtoExpert.new("tern.option.len.invalid", "Malformed option length",
		expert.group.PROTOCOL, expert.severity.WARN),
	option_unknown = ProtoExpert.new("tern.option.unknown", "Unknown option kind",
		expert.group.PROTOCOL, expert.severity.NOTE),
	retransmission = ProtoExpert.new("tern.analysis.retransmission",
		"This frame is a (suspected) retransmission", expert.group.SEQUENCE, expert.severity.NOTE),
	fast_retransmission = ProtoExpert.new("tern.analysis.fast_retransmission",
		"This frame is a (suspected) fast retransmission", expert.group.SEQUENCE, expert.severity.NOTE),
	spurious_retransmission = ProtoExpert.new("tern.analysis.spurious_retransmission",
		"This frame is a (suspected) spurious retransmission", expert.group.SEQUENCE, expert.severity.NOTE),
	out_of_order = ProtoExpert.new("tern.analysis.out_of_order",
		"This frame is a (suspected) out-of-order segment", expert.group.SEQUENCE, expert.severity.WARN),
	lost_segment = ProtoExpert.new("tern.analysis.lost_segment",
		"Previous segment(s) not captured (common at capture start)", expert.group.SEQUENCE,
		expert.severity.WARN),
	ack_lost_segment = ProtoExpert.new("tern.analysis.ack_lost_segment",
		"ACKed segment that wasn't captured (common at capture start)", expert.group.SEQUENCE,
		expert.severity.WARN),
	duplicate_ack = ProtoExpert.new("tern.analysis.duplicate_ack", "Duplicate ACK",
		expert.group.SEQUENCE, expert.severity.NOTE),
	zero_window = ProtoExpert.new("tern.analysis.zero_window", "Zero window",
		expert.group.SEQUENCE, expert.severity.WARN),
	zero_window_probe = ProtoExpert.new("tern.analysis.zero_window_probe", "Zero window probe",
		expert.group.SEQUENCE, expert.severity.NOTE),
	keep_alive = ProtoExpert.new("tern.analysis.keep_alive", "Keep-Alive",
		expert.group.SEQUENCE, expert.severity.NOTE),
	window_update = ProtoExpert.new("tern.analysis.window_update", "Window update",
		expert.group.SEQUENCE, expert.severity.CHAT),
	reset = ProtoExpert.new("tern.connection.rst", "Connection reset (RST)",
		expert.group.SEQUENCE, expert.severity.WARN),
	syn = ProtoExpert.new("tern.connection.syn", "Connection establish request (SYN)",
		expert.group.SEQUENCE, expert.severity.CHAT),
	synack = ProtoExpert.new("tern.connection.synack", "Connection establish acknowledge (SYN+ACK)",
		expert.group.SEQUENCE, expert.severity.CHAT),
	fin = ProtoExpert.new("tern.connection.fin", "Connection finish (FIN)",
		expert.group.SEQUENCE, expert.severity.CHAT),
}
tern.experts = {}
for _, v in pairs(e) do table.insert(tern.experts, v) end

local ip_src_f = Field.new("ip.src")
local ip_dst_f = Field.new("ip.dst")
local ip6_src_f = Field.new("ipv6.src")
local ip6_dst_f = Field.new("ipv6.dst")
local icmp_f = Field.new("icmp.type")
local icmp6_f = Field.new("icmpv6.type")

local port_table = DissectorTable.new("tern.port", "Tern port", ftypes.UINT16, base.DEC, tern)
local data_dissector = Dissector.get("data")

-- State for one capture: streams by their four-tuple, per-frame results.
local streams, nstreams, frames

local function reset()
	streams = {}
	nstreams = 0
	frames = {}
end
reset()
tern.init = reset

-- The last value of a field extractor in this packet (the innermost IP).
local function last(extractor)
	local all = { extractor() }
	return all[#all]
end

-- The raw source and destination addresses of the IP header that carries
-- this segment: the innermost one whose source is pinfo.net_src.
local function ip_addresses(pinfo)
	local s6, d6 = last(ip6_src_f), last(ip6_dst_f)
	local s4, d4 = last(ip_src_f), last(ip_dst_f)
	local want = tostring(pinfo.net_src)
	if s6 and d6 and tostring(s6.value) == want then
		return s6.range:raw(), d6.range:raw()
	end
	if s4 and d4 and tostring(s4.value) == want then
		return s4.range:raw(), d4.range:raw()
	end
	return nil
end

-- RFC 1071 sum of a byte string into a 32-bit accumulator, big-endian
-- 16-bit words, an odd last byte padded with zero.
local function sum16(s, sum)
	local n = #s
	local i = 1
	while i + 7 <= n do
		local a, b, c, d, e1, f1, g, h = s:byte(i, i + 7)
		sum = sum + a * 256 + b + c * 256 + d + e1 * 256 + f1 + g * 256 + h
		i = i + 8
	end
	while i + 1 <= n do
		local a, b = s:byte(i, i + 1)
		sum = sum + a * 256 + b
		i = i + 2
	end
	if i == n then sum = sum + s:byte(i) * 256 end
	return sum
end

local function fold(sum)
	while sum > 0xffff do
		sum = (sum % 0x10000) + math.floor(sum / 0x10000)
	end
	return sum
end

local function be_bytes(v, n)
	local t = {}
	for i = n, 1, -1 do
		t[i] = string.char(v % 256)
		v = math.floor(v / 256)
	end
	return table.concat(t)
end

-- The checksum the sender should have stored (the check field taken as
-- zero), computed as the module does (output.c: csum_tcpudp_magic() or
-- csum_ipv6_magic() over the pseudo-header and the whole segment); nil
-- when it cannot be verified (no IP header, or not all of the segment
-- captured, as in an ICMP error's quote).
local function compute_checksum(tvb, pinfo)
	local len = tvb:reported_len()
	if tvb:len() < len or len < HDR_LEN then return nil end
	if #{ icmp_f() } > 0 or #{ icmp6_f() } > 0 then return nil end
	local src, dst = ip_addresses(pinfo)
	if not src then return nil end
	local ph
	if #src == 4 then
		ph = src .. dst .. "\0" .. string.char(IPPROTO_TERN) .. be_bytes(len, 2)
	else
		ph = src .. dst .. be_bytes(len, 4) .. "\0\0\0" .. string.char(IPPROTO_TERN)
	end
	local sum = sum16(ph, 0)
	sum = sum16(tvb:raw(0, 6), sum)
	sum = sum16(tvb:raw(8, len - 8), sum)
	return 0xffff - fold(sum)
end

local function u64(tvb, off) return tvb(off, 8):uint64() end

-- a - b for UInt64s as a Lua number (exact below 2^53), negative when b > a
local function diff(a, b)
	if a >= b then return (a - b):tonumber() end
	return -((b - a):tonumber())
end

local function new_dir()
	return {
		base = nil,		-- ISN (or first sequence number seen)
		nextseq = nil,		-- relative: above the highest byte sent
		nextseq_frame = 0,
		nextseq_time = 0,
		lastack = nil,		-- relative to the other direction's base
		lastack_frame = 0,
		lastwin = nil,
		dupacks = 0,
		seen = {},		-- relative start -> { end, frame }
		unacked = {},		-- FIFO of { end, frame, time }
		unacked_head = 1,
		win = nil,
	}
end

-- The stream of a segment and the segment's direction in it (1: from the
-- side that sent the first segment seen, 2: the other).
local function find_stream(src, sport, dst, dport, flags, seq)
	local a, b = src .. "|" .. sport, dst .. "|" .. dport
	local key = a < b and (a .. "-" .. b) or (b .. "-" .. a)
	local s = streams[key]
	-- a new SYN (another ISN) on a four-tuple seen before is a new stream
	if s and band(flags, FLAG_SYN + FLAG_ACK) == FLAG_SYN and s.syn_isn and s.syn_isn ~= seq and
	   s.first_dir_key == a then
		s = nil
	elseif s and band(flags, FLAG_SYN + FLAG_ACK) == FLAG_SYN and s.closed then
		s = nil
	end
	if not s then
		s = { index = nstreams, first_dir_key = a, dirs = { new_dir(), new_dir() } }
		nstreams = nstreams + 1
		streams[key] = s
	end
	local d = (a == s.first_dir_key) and 1 or 2
	return s, d
end

-- Drop the segments an ACK covers from the sender's FIFO; returns the
-- last one covered.
local function ack_segments(dir, ack)
	local hit
	while dir.unacked_head <= #dir.unacked and dir.unacked[dir.unacked_head][1] <= ack do
		hit = dir.unacked[dir.unacked_head]
		dir.unacked[dir.unacked_head] = nil
		dir.unacked_head = dir.unacked_head + 1
	end
	if dir.unacked_head > #dir.unacked then
		dir.unacked = {}
		dir.unacked_head = 1
	end
	return hit
end

-- Sequence analysis of one segment, on its first pass (after
-- tcp_analyze_sequence_number() in packet-tcp.c). Returns what the
-- frame's tree shows: flags and numbers, relative values.
local function analyze(s, d, h, pinfo)
	local fwd, rev = s.dirs[d], s.dirs[3 - d]
	local r = { stream = s.index }
	local now = pinfo.rel_ts

	if has(h.flags, FLAG_SYN) then
		fwd.base = h.seq
		if not has(h.flags, FLAG_ACK) then s.syn_isn = h.seq end
	elseif not fwd.base then
		fwd.base = h.seq
	end
	if has(h.flags, FLAG_ACK) and not rev.base then
		-- no segment from the other side seen yet: its base is what
		-- this one acknowledges (as packet-tcp.c does)
		rev.base = h.ack
	end
	r.seq = diff(h.seq, fwd.base)
	r.nxtseq = r.seq + h.seglen
	if has(h.flags, FLAG_ACK) then r.ack = diff(h.ack, rev.base) end

	-- the sender's side: retransmission, out of order, probes
	-- a zero-window probe or keepalive (output.c, tern_send_probe()):
	-- no payload, sequence number one below what the peer acknowledged
	if h.seglen == 0 and rev.lastack and r.seq == rev.lastack - 1 and
	   not has(h.flags, FLAG_RST) then
		if rev.win == 0 then r.zero_window_probe = true else r.keep_alive = true end
	end
	if fwd.nextseq == nil then
		fwd.nextseq = r.nxtseq
		fwd.nextseq_frame = pinfo.number
		fwd.nextseq_time = now
	elseif h.seglen > 0 and r.seq < fwd.nextseq then
		do
			local seen = fwd.seen[r.seq]
			if seen then
				r.retransmission = true
				r.retrans_frame = seen[2]
			elseif now - fwd.nextseq_time < OOO_THRESHOLD and fwd.nextseq ~= r.nxtseq then
				r.out_of_order = true
			else
				r.retransmission = true
			end
			if r.retransmission then
				if rev.dupacks >= 2 and rev.lastack == r.seq then
					r.fast_retransmission = true
				elseif rev.lastack and r.nxtseq <= rev.lastack then
					r.spurious_retransmission = true
				end
			end
		end
	elseif h.seglen > 0 and r.seq > fwd.nextseq then
		r.lost_segment = true
	end
	if h.seglen > 0 and fwd.nextseq and r.nxtseq > fwd.nextseq then
		fwd.nextseq = r.nxtseq
		fwd.nextseq_frame = pinfo.number
		fwd.nextseq_time = now
	end
	if h.seglen > 0 and not fwd.seen[r.seq] then
		fwd.seen[r.seq] = { r.nxtseq, pinfo.number }
		table.insert(fwd.unacked, { r.nxtseq, pinfo.number, now })
	end

	-- the receiver's side: what this segment acknowledges
	if r.ack then
		if not has(h.flags, FLAG_RST) and h.window == 0 then r.zero_window = true end
		if rev.nextseq and r.ack > rev.nextseq and rev.base then
			r.ack_lost_segment = true
		end
		local hit = ack_segments(rev, r.ack)
		if hit then
			r.acks_frame = hit[2]
			r.ack_rtt = now - hit[3]
		end
		local pure = h.paylen == 0 and not has(h.flags, FLAG_SYN + FLAG_FIN + FLAG_RST)
		if pure and fwd.lastack == r.ack and fwd.lastwin == h.window and
		   rev.nextseq and rev.nextseq > r.ack then
			fwd.dupacks = fwd.dupacks + 1
			r.duplicate_ack = fwd.dupacks
			r.dup_ack_frame = fwd.lastack_frame
		elseif pure and fwd.lastack == r.ack and fwd.lastwin ~= h.window and fwd.lastwin then
			r.window_update = true
		end
		if not r.duplicate_ack then
			fwd.dupacks = 0
			fwd.lastack_frame = pinfo.number
		end
		fwd.lastack = r.ack
		fwd.lastwin = h.window
	end
	fwd.win = h.window
	-- in flight after this segment: sent, not yet acknowledged by the peer
	if h.seglen > 0 and rev.lastack then
		r.bytes_in_flight = fwd.nextseq - rev.lastack
	end
	if has(h.flags, FLAG_RST + FLAG_FIN) and (has(h.flags, FLAG_RST) or (s.fin_seen or 0) + d == 3) then
		s.closed = true
	end
	if has(h.flags, FLAG_FIN) then s.fin_seen = bor(s.fin_seen or 0, d) end
	return r
end

local function flags_string(flags)
	local names = {}
	if has(flags, FLAG_SYN) then table.insert(names, "SYN") end
	if has(flags, FLAG_FIN) then table.insert(names, "FIN") end
	if has(flags, FLAG_RST) then table.insert(names, "RST") end
	if has(flags, FLAG_EOR) then table.insert(names, "EOR") end
	if has(flags, FLAG_ACK) then table.insert(names, "ACK") end
	if has(flags, 0xe0) then table.insert(names, string.format("0x%02x", band(flags, 0xe0))) end
	return table.concat(names, ", ")
end

local function u64_of(n)
	if n >= 0 then return UInt64(n % 4294967296, math.floor(n / 4294967296)) end
	return UInt64(0) - UInt64((-n) % 4294967296, math.floor(-n / 4294967296))
end

-- The SACK option's blocks, relative to the acknowledged side's base.
local function dissect_sack(tvb, off, olen, otree, base, info)
	local n = math.floor((olen - 2) / 16)
	otree:add(f.opt_sack_count, n):set_generated()
	for i = 0, n - 1 do
		local lo, ro = off + 2 + 16 * i, off + 10 + 16 * i
		local le, re = u64(tvb, lo), u64(tvb, ro)
		if base then
			local rl, rr = diff(le, base), diff(re, base)
			otree:add(f.opt_sack_le, tvb(lo, 8), u64_of(rl))
			otree:add(f.opt_sack_re, tvb(ro, 8), u64_of(rr))
			table.insert(info, string.format("SLE=%d SRE=%d", rl, rr))
		else
			table.insert(info, string.format("SLE=%s SRE=%s", tostring(le), tostring(re)))
		end
		otree:add(f.opt_sack_le_raw, tvb(lo, 8))
		otree:add(f.opt_sack_re_raw, tvb(ro, 8))
	end
	otree:append_text(string.format(" %d block%s", n, n == 1 and "" or "s"))
end

-- The option area, [HDR_LEN, hlen): as tern_parse_options() reads it,
-- except that it goes on showing what follows a malformed option as bytes.
local function dissect_options(tvb, hlen, tree, sack_base, info)
	local otree = tree:add(f.options, tvb(HDR_LEN, hlen - HDR_LEN))
	otree:set_text(string.format("Options: (%d bytes)", hlen - HDR_LEN))
	local off = HDR_LEN
	while off < hlen do
		local kind = tvb(off, 1):uint()
		if kind == OPT_END then
			local t = otree:add(f.opt_end, tvb(off, 1))
			t:add(f.option_kind, tvb(off, 1))
			if off + 1 < hlen then
				otree:add(f.option_data, tvb(off + 1, hlen - off - 1)):set_text(
					string.format("Padding after END (%d bytes)", hlen - off - 1))
			end
			return
		elseif kind == OPT_NOP then
			otree:add(f.opt_nop, tvb(off, 1)):add(f.option_kind, tvb(off, 1))
			off = off + 1
		else
			local olen = off + 1 < hlen and tvb(off + 1, 1):uint() or nil
			if not olen or olen < 2 or off + olen > hlen then
				local t = otree:add(f.opt_unknown, tvb(off, hlen - off))
				t:set_text(string.format("Malformed option: kind %d, length %s, %d bytes left",
					kind, olen and tostring(olen) or "missing", hlen - off))
				t:add(f.option_kind, tvb(off, 1))
				if olen then t:add(f.option_len, tvb(off + 1, 1)) end
				t:add_proto_expert_info(e.option_len_bad, string.format(
					"Option kind %d: length %s %s (parsing ends here)", kind,
					olen and tostring(olen) or "missing",
					not olen and "" or olen < 2 and "is below 2" or
					string.format("runs past the option area (%d bytes left)", hlen - off)))
				return
			end
			local t
			if kind == OPT_MSS and olen == 4 then
				t = otree:add(f.opt_mss, tvb(off, olen))
				t:add(f.option_kind, tvb(off, 1))
				t:add(f.option_len, tvb(off + 1, 1))
				t:add(f.opt_mss_val, tvb(off + 2, 2))
				t:append_text(string.format(": %d bytes", tvb(off + 2, 2):uint()))
				table.insert(info, string.format("MSS=%d", tvb(off + 2, 2):uint()))
			elseif kind == OPT_SACK and (olen - 2) % 16 == 0 then
				t = otree:add(f.opt_sack, tvb(off, olen))
				t:add(f.option_kind, tvb(off, 1))
				t:add(f.option_len, tvb(off + 1, 1))
				dissect_sack(tvb, off, olen, t, sack_base, info)
			elseif kind == OPT_MSS or kind == OPT_SACK then
				t = otree:add(f.opt_unknown, tvb(off, olen))
				t:set_text(string.format("%s: bad length %d (skipped)", option_kinds[kind], olen))
				t:add(f.option_kind, tvb(off, 1))
				t:add(f.option_len, tvb(off + 1, 1))
				t:add_proto_expert_info(e.option_len_bad, string.format(
					"%s option of length %d (%s)", option_kinds[kind], olen,
					kind == OPT_MSS and "must be 4" or "must be 2 + 16n"))
			else
				t = otree:add(f.opt_unknown, tvb(off, olen))
				t:set_text(string.format("Unknown option: kind %d, length %d", kind, olen))
				t:add(f.option_kind, tvb(off, 1))
				t:add(f.option_len, tvb(off + 1, 1))
				if olen > 2 then t:add(f.option_data, tvb(off + 2, olen - 2)) end
				t:add_proto_expert_info(e.option_unknown,
					string.format("Unknown option kind %d, length %d (skipped)", kind, olen))
			end
			off = off + olen
		end
	end
end

local function add_analysis(tree, r, h)
	local atree = tree:add(f.analysis)
	atree:set_generated()
	local function gen(item) item:set_generated() return item end
	if r.acks_frame then
		gen(atree:add(f.acks_frame, r.acks_frame))
		local secs = math.floor(r.ack_rtt)
		gen(atree:add(f.ack_rtt, NSTime(secs, math.floor((r.ack_rtt - secs) * 1e9))))
	end
	if r.bytes_in_flight and r.bytes_in_flight > 0 and h.seglen > 0 then
		gen(atree:add(f.bytes_in_flight, u64_of(r.bytes_in_flight)))
	end
	local flagged = {}
	local function ex(cond, ei, text)
		if cond then
			atree:add_proto_expert_info(ei, text)
			table.insert(flagged, text)
		end
	end
	ex(r.retransmission and not r.fast_retransmission and not r.spurious_retransmission,
		e.retransmission, "This frame is a (suspected) retransmission")
	if r.fast_retransmission then
		atree:add_proto_expert_info(e.retransmission, "This frame is a (suspected) retransmission")
		ex(true, e.fast_retransmission, "This frame is a (suspected) fast retransmission")
	end
	if r.spurious_retransmission then
		atree:add_proto_expert_info(e.retransmission, "This frame is a (suspected) retransmission")
		ex(true, e.spurious_retransmission, "This frame is a (suspected) spurious retransmission")
	end
	if r.retrans_frame then gen(atree:add(f.retrans_frame, r.retrans_frame)) end
	ex(r.out_of_order, e.out_of_order, "This frame is a (suspected) out-of-order segment")
	ex(r.lost_segment, e.lost_segment, "Previous segment(s) not captured")
	ex(r.ack_lost_segment, e.ack_lost_segment, "ACKed segment that wasn't captured")
	ex(r.zero_window_probe, e.zero_window_probe, "Zero window probe")
	ex(r.keep_alive, e.keep_alive, "Keep-Alive")
	ex(r.zero_window, e.zero_window, "Zero window")
	ex(r.window_update, e.window_update, "Window update")
	if r.duplicate_ack then
		ex(true, e.duplicate_ack, string.format("Duplicate ACK (#%d)", r.duplicate_ack))
		gen(atree:add(f.dup_ack_num, r.duplicate_ack))
		gen(atree:add(f.dup_ack_frame, r.dup_ack_frame))
	end
	if #flagged == 0 and not r.acks_frame then atree:set_hidden() end
end

-- The info column's prefix for what the analysis found, as TCP's.
local function analysis_prefix(r)
	if r.fast_retransmission then return "[Tern Fast Retransmission] " end
	if r.spurious_retransmission then return "[Tern Spurious Retransmission] " end
	if r.retransmission then return "[Tern Retransmission] " end
	if r.out_of_order then return "[Tern Out-Of-Order] " end
	if r.lost_segment then return "[Tern Previous segment not captured] " end
	if r.zero_window_probe then return "[Tern ZeroWindowProbe] " end
	if r.keep_alive then return "[Tern Keep-Alive] " end
	if r.duplicate_ack then return string.format("[Tern Dup ACK %d#%d] ", r.dup_ack_frame, r.duplicate_ack) end
	if r.zero_window then return "[Tern ZeroWindow] " end
	if r.window_update then return "[Tern Window Update] " end
	if r.ack_lost_segment then return "[Tern ACKed unseen segment] " end
	return ""
end

-- Header fields; returns the header length to use (0: none usable).
local function dissect_header(tvb, pinfo, t, h)
	t:add(f.srcport, tvb(0, 2))
	t:add(f.dstport, tvb(2, 2))
	t:add(f.port, tvb(0, 2)):set_hidden()
	t:add(f.port, tvb(2, 2)):set_hidden()
	if h.sport == 0 or h.dport == 0 then t:add_proto_expert_info(e.port_zero) end
	local di = t:add(f.doff, tvb(4, 1))
	local hlen = h.doff * 4
	t:add(f.hdr_len, tvb(4, 1), hlen):append_text(string.format(" bytes (%d)", h.doff))
	if h.doff < HDR_LEN / 4 then
		di:add_proto_expert_info(e.doff_bad, string.format("Data offset %d: below 8 words", h.doff))
		hlen = 0
	elseif hlen > h.seglen_total then
		di:add_proto_expert_info(e.doff_bad, string.format(
			"Data offset %d (%d bytes): beyond the segment's %d bytes", h.doff, hlen, h.seglen_total))
		hlen = 0
	end
	local ft = t:add(f.flags, tvb(5, 1))
	ft:append_text(" (" .. flags_string(h.flags) .. ")")
	ft:add(f.flag_res, tvb(5, 1))
	ft:add(f.flag_eor, tvb(5, 1))
	ft:add(f.flag_rst, tvb(5, 1))
	ft:add(f.flag_fin, tvb(5, 1))
	ft:add(f.flag_ack, tvb(5, 1))
	ft:add(f.flag_syn, tvb(5, 1))
	ft:add(f.flags_str, tvb(5, 1), flags_string(h.flags)):set_generated()
	local ct = t:add(f.checksum, tvb(6, 2))
	local calc = compute_checksum(tvb, pinfo)
	if calc == nil then
		ct:append_text(" [unverified]")
		t:add(f.checksum_status, 2):set_generated()
	elseif calc == h.check or (calc == 0 and h.check == 0xffff) or (calc == 0xffff and h.check == 0) then
		ct:append_text(" [correct]")
		t:add(f.checksum_calc, calc):set_generated()
		t:add(f.checksum_status, 1):set_generated()
	else
		ct:append_text(string.format(" incorrect, should be 0x%04x", calc))
		t:add(f.checksum_calc, calc):set_generated()
		t:add(f.checksum_status, 0):set_generated()
		ct:add_proto_expert_info(e.checksum_bad, string.format(
			"Bad checksum 0x%04x, should be 0x%04x", h.check, calc))
		h.bad_checksum = true
	end
	return hlen
end

function tern.dissector(tvb, pinfo, tree)
	local caplen = tvb:len()
	pinfo.cols.protocol = "Tern"
	local t = tree:add(tern, tvb(0, math.min(caplen, HDR_LEN)))
	if caplen < HDR_LEN then
		if caplen >= 4 then
			t:add(f.srcport, tvb(0, 2))
			t:add(f.dstport, tvb(2, 2))
		end
		t:add_proto_expert_info(e.hdr_short, string.format(
			"%d bytes: shorter than the 32-byte header", caplen))
		pinfo.cols.info = string.format("Tern segment of %d bytes: short header", caplen)
		return caplen
	end
	local h = {
		sport = tvb(0, 2):uint(), dport = tvb(2, 2):uint(),
		doff = tvb(4, 1):uint(), flags = tvb(5, 1):uint(), check = tvb(6, 2):uint(),
		seq = u64(tvb, 8), ack = u64(tvb, 16), window = tvb(24, 4):uint(),
		version = tvb(28, 1):uint(), seglen_total = tvb:reported_len(),
	}
	pinfo.src_port = h.sport
	pinfo.dst_port = h.dport
	local hlen = dissect_header(tvb, pinfo, t, h)
	local usable = hlen > 0
	if not usable then hlen = HDR_LEN end
	t:set_len(math.min(caplen, hlen))
	h.paylen = usable and (h.seglen_total - hlen) or 0
	h.seglen = h.paylen + (has(h.flags, FLAG_SYN) and 1 or 0) + (has(h.flags, FLAG_FIN) and 1 or 0)

	-- analysis: only for segments a receiver would take (its checks of
	-- PROTOCOL.md "Validation"), not for quotes in ICMP errors
	local r = frames[pinfo.number]
	if r == nil and not pinfo.visited then
		if usable and not h.bad_checksum and h.version == 1 and h.sport ~= 0 and h.dport ~= 0 and
		   tvb:len() == tvb:reported_len() and #{ icmp_f() } == 0 and #{ icmp6_f() } == 0 then
			local s, d = find_stream(tostring(pinfo.net_src), h.sport, tostring(pinfo.net_dst),
				h.dport, h.flags, h.seq)
			r = analyze(s, d, h, pinfo)
			r.sack_base = s.dirs[3 - d].base
		else
			r = false
		end
		frames[pinfo.number] = r
	end

	if r then
		t:add(f.stream, r.stream):set_generated()
	end
	t:add(f.len, h.paylen):set_generated()
	if r then
		t:add(f.seq, tvb(8, 8), u64_of(r.seq)):append_text("    (relative sequence number)")
	else
		t:add(f.seq, tvb(8, 8))
	end
	t:add(f.seq_raw, tvb(8, 8))
	if r then
		t:add(f.nxtseq, u64_of(r.nxtseq)):set_generated()
	end
	if r and r.ack then
		t:add(f.ack, tvb(16, 8), u64_of(r.ack)):append_text("    (relative ack number)")
	elseif has(h.flags, FLAG_ACK) then
		t:add(f.ack, tvb(16, 8))
	end
	t:add(f.ack_raw, tvb(16, 8))
	t:add(f.window, tvb(24, 4))
	local vi = t:add(f.version, tvb(28, 1))
	if h.version ~= 1 then
		vi:add_proto_expert_info(e.version_bad, string.format("Version %d, not 1: dropped by receivers", h.version))
	end
	local ri = t:add(f.reserved, tvb(29, 3))
	if tvb(29, 3):uint() ~= 0 then ri:add_proto_expert_info(e.reserved_nonzero) end

	local optinfo = {}
	if usable and hlen > HDR_LEN then
		local o = math.min(hlen, caplen)
		if o > HDR_LEN then dissect_options(tvb, o, t, r and r.sack_base, optinfo) end
	end

	if has(h.flags, FLAG_SYN) then
		t:add_proto_expert_info(has(h.flags, FLAG_ACK) and e.synack or e.syn)
	end
	if has(h.flags, FLAG_FIN) then t:add_proto_expert_info(e.fin) end
	if has(h.flags, FLAG_RST) then t:add_proto_expert_info(e.reset) end
	if r then add_analysis(t, r, h) end

	-- info column, as TCP's
	local info = string.format("%d \226\134\146 %d [%s] Seq=%s", h.sport, h.dport,
		flags_string(h.flags), r and tostring(r.seq) or tostring(h.seq))
	if has(h.flags, FLAG_ACK) then
		info = info .. " Ack=" .. (r and r.ack and tostring(r.ack) or tostring(h.ack))
	end
	info = info .. string.format(" Win=%d Len=%d", h.window, h.paylen)
	if #optinfo > 0 then info = info .. " " .. table.concat(optinfo, " ") end
	if r then info = analysis_prefix(r) .. info end
	if h.bad_checksum then info = info .. " [BAD CHECKSUM]" end
	pinfo.cols.info = info

	-- payload: a dissector registered for either port (Decode As), else data
	if usable and h.paylen > 0 and caplen > hlen then
		local ptvb = tvb(hlen):tvb()
		t:add(f.payload, tvb(hlen))
		local lo, hi = math.min(h.sport, h.dport), math.max(h.sport, h.dport)
		if not (port_table:try(lo, ptvb, pinfo, tree) or port_table:try(hi, ptvb, pinfo, tree)) then
			data_dissector:call(ptvb, pinfo, tree)
		end
	end
	return caplen
end

DissectorTable.get("ip.proto"):add(IPPROTO_TERN, tern)
