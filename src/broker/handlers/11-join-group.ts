/**
 * JoinGroup (key 11), versions 0-9.
 *
 * The classic group protocol's join phase, run by the group coordinator
 * (src/coordinator/group). The response is held until the group's join phase
 * completes: when every member has rejoined, at the rebalance timeout, or,
 * for a new group, after group.initial.rebalance.delay.ms.
 *
 * v1 adds the rebalance timeout (v0 uses the session timeout for it); v4
 * requires a known member id: a new member first gets MEMBER_ID_REQUIRED with
 * its id (KIP-394); v5 adds group.instance.id (KIP-345); v6 is flexible; v7
 * returns the protocol type and makes the protocol name nullable (older
 * versions get '' instead of null); v8 adds a join reason; v9 lets a rejoining
 * static leader skip the assignment.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { groupCoordinatorFor, groupRequestContext } from '../../coordinator/group/group-coordinator-service.js';
import { defineHandler } from './handler.js';

/** The protocol name is nullable from v7. */
const NULLABLE_PROTOCOL_NAME_VERSION = 7;

export const joinGroupHandler = defineHandler({
  apiKey: ApiKey.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  async handle(request, ctx) {
    const response = await groupCoordinatorFor(ctx.broker).joinGroup(groupRequestContext(ctx), request);
    if (ctx.apiVersion < NULLABLE_PROTOCOL_NAME_VERSION && response.protocolName === null) return { ...response, protocolName: '' };
    return response;
  },
  errorResponse(request, errorCode, ctx) {
    const protocolName = ctx.apiVersion < NULLABLE_PROTOCOL_NAME_VERSION ? '' : null;
    return { errorCode, generationId: -1, protocolName, leader: '', memberId: request.memberId, members: [] };
  },
});
