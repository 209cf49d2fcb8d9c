/**
 * How the Frames list states what a scan read: a pandas frame's size and sample, and a Spark or
 * Dask frame seen by a first look, whose size is not known (never shown as the frame's rows).
 */

import { frameSize } from '../inventory_views';
import { toFrame } from '../kernel_state';
import { parseReply } from '../protocol';
import { capturedReply, trans } from './helpers';

const summary = {
  rows: 2000,
  rows_scanned: 2000,
  exhaustive: false,
  partial: false,
  columns: 12,
  pii_columns: {},
  cell: null
};

describe('frame sizes', () => {
  it('names a pandas frame’s size and the rows sampled', () => {
    const frame = toFrame('customers', { ...summary, rows: 50000 });
    expect(frame.rows).toBe(50000);
    expect(frameSize(trans, frame)).toBe(
      '50000 rows, 12 columns, sampled 2000 rows'
    );
  });

  it('calls a first look the first rows looked at, not the frame’s size', () => {
    const frame = toFrame('events', {
      ...summary,
      rows_known: false,
      engine: 'spark'
    });
    expect(frame.rows).toBeNull();
    expect(frame.rowsKnown).toBe(false);
    expect(frameSize(trans, frame)).toBe(
      '12 columns, first 2000 rows looked at'
    );
  });

  it('reads a first look in a real get_state reply', () => {
    const reply = capturedReply();
    const [name] = Object.keys(reply.payload.state.frames);
    reply.payload.state.frames[name] = {
      ...reply.payload.state.frames[name],
      rows_known: false,
      engine: 'dask'
    };
    const parsed = parseReply('get_state', reply);
    const frame = parsed.payload?.state.frames.find(f => f.name === name);
    expect(frame?.rowsKnown).toBe(false);
    expect(frame?.rows).toBeNull();
  });
});
