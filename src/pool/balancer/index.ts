// The balancer layer's public surface: members, the Apache-exact selection, sticky-session parsing.
export { Balancer, sessionTarget, type BalancerOptions, type PickRequest, type PickResult } from "./balancer.ts";
export { LB_METHODS, type LbMethod } from "./lbmethods.ts";
export { Member, MEMBER_DEFAULTS, applyStatusParam, lbfactorOf, parseStatusParam, type MemberOptions, type MemberStatusFlag } from "./member.ts";
export { parseStickySession, type SessionRoute, type StickyNames } from "./sticky.ts";
