// Types of the receiver example (webhook-receiver.mjs), for TypeScript receivers and tests.
import type { Server } from 'node:http';

export const TOLERANCE_SECONDS: number;
export function verifyFeikongSignature(secrets: readonly string[], rawBody: string | Buffer, header: string | string[] | undefined,
  nowSeconds?: number, toleranceSeconds?: number): string | null;
export function createReceiver(secrets: readonly string[], onEvent: (event: { id: number; type: string; data: unknown }) => void, seen?: Set<number>): Server;
