// Open-Meteo connector, version 1.1.0.
// Open-Meteo (https://open-meteo.com/en/docs) is free for non-commercial use and needs no key.

const latitude = { name: "latitude", label: "Latitude", type: "number" };
const longitude = { name: "longitude", label: "Longitude", type: "number" };
const temperatureUnit = { name: "temperature_unit", label: "Temperature unit", control_type: "select", pick_list: "temperature_units", optional: true };

export default {
  title: "Open-Meteo Weather",
  description: "Current weather and daily forecasts for any coordinates from Open-Meteo. No account needed.",
  allowed_hosts: ["api.open-meteo.com"],

  connection: {
    fields: [],
    base_uri: (connection) => "https://api.open-meteo.com",
  },

  test: (connection) => get("/v1/forecast", { latitude: 52.52, longitude: 13.41, current_weather: true }),

  actions: {
    get_current_weather: {
      title: "Get current weather",
      description: "Current temperature, wind and WMO weather code at a location.",
      input_fields: [
        { ...latitude, hint: "e.g. 52.52" },
        { ...longitude, hint: "e.g. 13.41" },
        { ...temperatureUnit, hint: "celsius (default) or fahrenheit" },
        { name: "windspeed_unit", label: "Wind speed unit", control_type: "select", pick_list: "wind_speed_units", optional: true, hint: "kmh (default), ms, mph or kn" },
      ],
      output_fields: [
        { name: "latitude", type: "number" },
        { name: "longitude", type: "number" },
        { name: "timezone" },
        { name: "elevation", type: "number" },
        { name: "current_weather", type: "object", properties: [
          { name: "time" },
          { name: "temperature", type: "number" },
          { name: "windspeed", type: "number" },
          { name: "winddirection", type: "integer" },
          { name: "weathercode", type: "integer" },
          { name: "is_day", type: "integer" },
        ] },
        { name: "current_weather_units", type: "object" },
      ],
      execute: (connection, input) => get("/v1/forecast", {
        latitude: input.latitude,
        longitude: input.longitude,
        current_weather: true,
        temperature_unit: input.temperature_unit ?? "celsius",
        windspeed_unit: input.windspeed_unit ?? "kmh",
        timezone: "auto",
      }),
    },

    get_daily_forecast: {
      title: "Get daily forecast",
      description: "Daily highs, lows, precipitation and sunrise/sunset for up to 16 days, one row per day.",
      input_fields: [
        latitude,
        longitude,
        { name: "forecast_days", label: "Days", type: "integer", optional: true, hint: "1 to 16, default 7" },
        temperatureUnit,
      ],
      output_fields: [
        { name: "timezone" },
        { name: "daily_units", type: "object" },
        { name: "days", type: "array", properties: [
          { name: "date", type: "date" },
          { name: "weathercode", type: "integer" },
          { name: "temperature_2m_max", label: "High", type: "number" },
          { name: "temperature_2m_min", label: "Low", type: "number" },
          { name: "precipitation_sum", label: "Precipitation", type: "number" },
          { name: "sunrise", type: "date_time" },
          { name: "sunset", type: "date_time" },
        ] },
      ],
      execute(connection, input) {
        const variables = ["weathercode", "temperature_2m_max", "temperature_2m_min", "precipitation_sum", "sunrise", "sunset"];
        const r = get("/v1/forecast", {
          latitude: input.latitude,
          longitude: input.longitude,
          daily: variables.join(","),
          forecast_days: input.forecast_days ?? 7,
          temperature_unit: input.temperature_unit ?? "celsius",
          timezone: "auto",
        });
        // Open-Meteo answers column by column; turn the columns into one row per day.
        r.days = r.daily.time.map((date, i) => {
          const day = { date };
          for (const v of variables) day[v] = r.daily[v][i];
          return day;
        });
        return r;
      },
    },
  },

  pick_lists: {
    temperature_units: (connection) => [["Celsius (°C)", "celsius"], ["Fahrenheit (°F)", "fahrenheit"]],
    wind_speed_units: (connection) => [["km/h", "kmh"], ["m/s", "ms"], ["mph", "mph"], ["Knots", "kn"]],
  },
};
