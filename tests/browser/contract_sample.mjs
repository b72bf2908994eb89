// contract_sample.mjs: a GET /metrics answer as the contract of issue 5
// writes it (the families, labels and types agreed for issue 5:
// banyan_build_info, banyan_operation_duration_seconds{op}, banyan_inodes
// {type}, ...), for the parser's unit tests and for the overview's test
// against a daemon that has no /metrics yet.
//
// SPDX-License-Identifier: MIT

export const OPS = ['stat', 'list', 'create', 'mkdir', 'setattr', 'delete', 'rename', 'other'];
export const LE = ['0.0001', '0.00025', '0.0005', '0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '+Inf'];

// A /metrics answer as the contract writes it; @scale multiplies the
// operation counts (a later reading).
export function contractSample(scale = 1) {
  const lines = [
    '# HELP banyan_build_info The version of banyand.',
    '# TYPE banyan_build_info gauge',
    'banyan_build_info{version="0.1.0"} 1',
    '# HELP banyan_start_time_seconds When the process started, in unix time.',
    '# TYPE banyan_start_time_seconds gauge',
    'banyan_start_time_seconds 1764072000',
    '# TYPE banyan_http_requests_total counter',
    'banyan_http_requests_total{route="/api/v1/paths",method="GET",code="200"} 120',
    'banyan_http_requests_total{route="/api/v1/paths",method="PUT",code="201"} 30',
    'banyan_http_requests_total{route="/metrics",method="GET",code="200"} 4',
    '# TYPE banyan_http_open_connections gauge',
    'banyan_http_open_connections 3',
    '# HELP banyan_operation_duration_seconds Time to serve an operation.',
    '# TYPE banyan_operation_duration_seconds histogram',
  ];
  OPS.forEach((op, k) => {
    // op k: 10*(k+1)*scale observations spread over the first buckets.
    const n = 10 * (k + 1) * scale;
    let cum = 0;
    LE.forEach((le, i) => {
      if (i < 4) cum += n / 4;
      lines.push(`banyan_operation_duration_seconds_bucket{op="${op}",le="${le}"} ${cum}`);
    });
    lines.push(`banyan_operation_duration_seconds_sum{op="${op}"} ${n * 0.0005}`);
    lines.push(`banyan_operation_duration_seconds_count{op="${op}"} ${n}`);
  });
  lines.push(
    '# TYPE banyan_raft_term gauge',
    'banyan_raft_term 3',
    '# TYPE banyan_raft_commit_index gauge',
    'banyan_raft_commit_index 100',
    '# TYPE banyan_raft_applied_index gauge',
    'banyan_raft_applied_index 99',
    '# TYPE banyan_raft_is_leader gauge',
    'banyan_raft_is_leader 1',
    '# TYPE banyan_raft_leader_changes_total counter',
    'banyan_raft_leader_changes_total 1',
    '# TYPE banyan_apply_batch_commands histogram',
    'banyan_apply_batch_commands_bucket{le="1"} 5',
    'banyan_apply_batch_commands_bucket{le="+Inf"} 7',
    'banyan_apply_batch_commands_sum 30',
    'banyan_apply_batch_commands_count 7',
    '# TYPE banyan_cache_hits_total counter',
    'banyan_cache_hits_total 900',
    '# TYPE banyan_cache_misses_total counter',
    'banyan_cache_misses_total 100',
    '# TYPE banyan_cache_evictions_total counter',
    'banyan_cache_evictions_total 0',
    '# TYPE banyan_cache_bytes gauge',
    'banyan_cache_bytes 1048576',
    '# TYPE banyan_cache_entries gauge',
    'banyan_cache_entries 42',
    '# TYPE banyan_store_transactions_total counter',
    'banyan_store_transactions_total 17',
    '# TYPE banyan_store_disk_bytes gauge',
    'banyan_store_disk_bytes 4.2e+06',
    '# TYPE banyan_inodes gauge',
    'banyan_inodes{type="file"} 5001',
    'banyan_inodes{type="directory"} 7',
    '',
  );
  return lines.join('\n');
}
