// @cloudsignal/sdk: the MQTT client, the REST client, their errors and the API's types.
// Every export is listed here; anything else is internal.

export { CloudSignalClient } from './client.js'
export type {
  CloudSignalClientEvents, CloudSignalClientOptions, ConnectInfo, MessageHandler, MessageProperties, Protocol,
  PublishOptions, QoS, ReceivedMessage, SubscribeOptions, SubscriptionGrant, TokenExchangeOptions,
} from './client-types.js'
export type { PublishPayload } from './payload.js'
export { Backoff, DEFAULT_PRESET, PRESETS } from './presets.js'
export type { Preset, PresetName } from './presets.js'
export { MqttRequestError, MqttRequestTimeoutError, REQUEST_ERROR_PROPERTY } from './requests.js'
export type { MqttRequestOptions, RequestHandler } from './requests.js'
export { TypedEmitter } from './emitter.js'

export {
  AclResource, AclRulesResource, ApiKeysResource, AuditResource, AuthProvidersResource, CloudSignalApi, EventsResource,
  OrganizationResource, RuleSetsResource, SessionsResource, TokensResource, UsersResource,
} from './api.js'
export type { CloudSignalApiOptions } from './api.js'
export type { RateLimit, RequestOptions, RetryInfo } from './http.js'
export { PageRequest } from './pagination.js'

export {
  APIConnectionError, APIError, APITimeoutError, AuthenticationError, BadRequestError, CloudSignalError, ConflictError,
  GatewayTimeoutError, MqttAuthError, MqttError, NotFoundError, PayloadTooLargeError, PermissionDeniedError,
  RateLimitError, ServerError, ServiceUnavailableError,
} from './errors.js'
export type { CloudSignalErrorJSON } from './errors.js'

export type {
  AclCheck, AclDecision, AclRule, AclRuleCreate, AclRuleUpdate, ApiKey, ApiKeyCreate, ApiKeyScope, ApiKeyUpdate,
  AuditAccess, AuditAccessParams, AuditEvent, AuditState, AuditStateParams, EventListParams, EventStreamParams,
  AuthProvider, AuthProviderCreate, AuthProviderUpdate, BatchPublishResult, Credentials, ErrorBody, ListParams,
  NewApiKey, Organization, OrganizationUpdate, Page, PublishProperties, PublishRequest, PublishResult, RuleInput,
  RuleSet, RuleSetCreate, RuleSetUpdate, Session, SessionHistoryParams, SessionListParams, Tenancy, TerminateResult,
  TokenCreateRequest, TokenExchangeRequest, TokenRefreshRequest, User, UserCreate, UserUpdate,
} from './types.js'
