// Open-Meteo connector, version 1.0.0.
// Open-Meteo (https://open-meteo.com/en/docs) is free for non-commercial use and needs no key.
export default {
  title: "Open-Meteo Weather",
  description: "Current weather for any coordinates from Open-Meteo. No account needed.",
  allowed_hosts: ["api.open-meteo.com"],

  connection: {
    fields: [],
    base_uri: (connection) => "https://api.open-meteo.com",
  },

  test: (connection) => get("/v1/forecast", { latitude: 52.52, longitude: 13.41, current_weather: true }),

  actions: {
    get_current_weather: {
      title: "Get current weather",
      description: "Current temperature (°C), wind (km/h) and WMO weather code at a location.",
      input_fields: [
        { name: "latitude", label: "Latitude", type: "number", hint: "e.g. 52.52" },
        { name: "longitude", label: "Longitude", type: "number", hint: "e.g. 13.41" },
      ],
      output_fields: [
        { name: "latitude", type: "number" },
        { name: "longitude", type: "number" },
        { name: "elevation", type: "number" },
        { name: "current_weather", type: "object", properties: [
          { name: "time" },
          { name: "temperature", type: "number" },
          { name: "windspeed", type: "number" },
          { name: "winddirection", type: "integer" },
          { name: "weathercode", type: "integer" },
          { name: "is_day", type: "integer" },
        ] },
      ],
      execute: (connection, { latitude, longitude }) => get("/v1/forecast", {
        latitude,
        longitude,
        current_weather: true,
      }),
    },
  },
};
