// How the daemon's own MQTT connections authenticate: a password (from mqtt.password for an
// external broker; made at start for the embedded one) with a configured user name or, by
// default, each connection's client id as its user name, which is what a Mosquitto configured by
// `feikong mqtt mosquitto` expects (use_username_as_clientid: no one else can take the id).
// For an mqtts:// broker, mqtt.caFile names the CA its certificate must chain to.
export interface MqttClientCredentials {
  username?: string | undefined;
  password?: string | undefined;
  /** CA certificate(s) an mqtts broker's certificate must chain to (mqtt.caFile, read at start) */
  ca?: Buffer | undefined;
}

export interface ClientAuthOptions {
  /** mqtt.js connect options for the connection with this client id */
  forClient(clientId: string): { username?: string; password?: string; ca?: Buffer };
}

export function clientAuthOptions(credentials: MqttClientCredentials): ClientAuthOptions {
  const ca = credentials.ca;
  return {
    forClient(clientId) {
      const out: { username?: string; password?: string; ca?: Buffer } = ca ? { ca } : {};
      if (credentials.password !== undefined) {
        out.username = credentials.username ?? clientId;
        out.password = credentials.password;
      } else if (credentials.username !== undefined) {
        out.username = credentials.username;
      }
      return out;
    },
  };
}
