// Type declarations of Legion's JavaScript SDK (SPEC §13), served at /sdk.d.ts.
//   import { createLegion, LegionError } from "https://LEGION/sdk.js";

/** What the token endpoint answers (SPEC §4.3), and what onTokenRefresh receives. */
export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
}

export interface LegionConfig {
  /** The app's Client ID (lgn_...). */
  clientId: string;
  /** Where /connect lives; default: the server that served this module. */
  authUrl?: string;
  /** Where the API lives; default: authUrl. */
  apiUrl?: string;
  /** Hears every new token pair (after connect, exchangeCode and each refresh). */
  onTokenRefresh?: (tokens: TokenResponse) => void;
  /** Where tokens are kept: "localStorage" (default, shared by the site's tabs) or "sessionStorage". */
  storage?: "localStorage" | "sessionStorage";
}

export interface ConnectOptions {
  /** The app's registered redirect URI: character for character. */
  redirectUri: string;
  /** Your own state; default: 256 random bits. */
  state?: string;
  /** Default "chat:completions". */
  scope?: string;
  /** true: a popup, resolving with the tokens; false: the page goes to Legion and back. */
  popup?: boolean;
}

export interface ChatMessage {
  role: "system" | "developer" | "user" | "assistant";
  content: string;
}

export interface ContextFlags {
  user_preferences?: boolean;
  user_information?: boolean;
  user_context?: boolean;
  context_ids?: string[];
}

export interface ChatOptions extends ContextFlags {
  model?: string;
  temperature?: number;
  max_tokens?: number;
  stream?: boolean;
  /** One refresh on a 401, never two at once (default true). */
  autoRefresh?: boolean;
}

/** An OpenAI chat.completion object. */
export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: "assistant"; content: string | null };
    finish_reason: string | null;
  }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

export interface Conversation {
  id: string;
  object: "conversation";
  title: string;
  created_at: string;
  updated_at: string;
  archived: boolean;
  message_count: number;
  current_message_id: string | null;
}

export interface Message {
  id: string;
  object: "message";
  conversation_id: string;
  parent_id: string | null;
  role: "user" | "assistant";
  content: string;
  status: "complete" | "in_progress" | "stopped" | "failed";
  model: string | null;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  cost_micros: number;
  feedback: { rating: "up" | "down"; text: string | null } | null;
  sources: unknown[];
  created_at: string;
  updated_at: string;
}

export interface Page<T> {
  object: "list";
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
  total?: number;
}

export interface SearchHit {
  message: Message;
  conversation: { id: string; title: string };
  snippet: string;
}

/** A §11 event; `id` is its event id, for resume(). An `error` event is thrown instead. */
export type ConversationEvent = { id: number } & (
  | { type: "conversation_created"; conversation: Conversation; user_message: Message }
  | { type: "user_message"; message: Message }
  | { type: "ai_chunk"; message_id: string; content: string }
  | { type: "ai_complete"; message: Message }
);

export interface AskOptions extends ContextFlags {
  model?: string;
  temperature?: number;
  max_tokens?: number;
  parent_id?: string;
  generate_title?: boolean;
  stream?: boolean;
}

export interface Conversations {
  create(options?: { title?: string }): Promise<Conversation>;
  list(options?: { limit?: number; cursor?: string }): Promise<Page<Conversation>>;
  get(id: string): Promise<Conversation & { messages: Message[] }>;
  ask(id: string, content: string, options: AskOptions & { stream: true }): Promise<AsyncIterable<ConversationEvent>>;
  ask(id: string, content: string, options?: AskOptions): Promise<{ conversation_id: string; messages: Message[] }>;
  resume(id: string, messageId: string, lastEventId?: number): Promise<AsyncIterable<ConversationEvent>>;
  delete(id: string): Promise<null>;
  search(q: string, options?: { limit?: number; cursor?: string }): Promise<Page<SearchHit>>;
}

export interface Legion {
  connect(options: ConnectOptions & { popup: true }): Promise<TokenResponse>;
  connect(options: ConnectOptions): Promise<TokenResponse | void>;
  /** On the redirect URI page after a full-page connect(); checks state and iss. */
  exchangeCode(code?: string): Promise<TokenResponse>;
  setTokens(tokens: { accessToken: string; refreshToken: string }): void;
  chat(messages: ChatMessage[], options: ChatOptions & { stream: true }): Promise<AsyncIterable<string>>;
  chat(messages: ChatMessage[], options?: ChatOptions): Promise<ChatCompletion>;
  refreshAccessToken(): Promise<TokenResponse>;
  isConnected(): boolean;
  /** Revokes both tokens, then forgets them. */
  disconnect(): Promise<void>;
  conversations: Conversations;
}

export function createLegion(config: LegionConfig): Legion;

/** The redirect URI page of a popup connect(): hands the answer to the waiting page. */
export function handleCallback(): boolean;

export class LegionError extends Error {
  /** The server's error code, or the SDK's: network_error, invalid_state, popup_blocked,
   * popup_closed, timeout, access_denied, not_connected. */
  code: string;
  /** The HTTP status, 0 when there was none. */
  status: number;
  /** 401, or a refresh the server refused: connect again. */
  requiresReauth(): boolean;
  /** 403 connection_inactive: the visitor paused this app. */
  isDeactivated(): boolean;
  /** 402: the wallet can't pay, or the monthly limit would pass. */
  isBillingError(): boolean;
}
